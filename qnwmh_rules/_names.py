"""Rulesets and their layers named in words, for notes and docs pages.

Owns: how a ruleset version reads for a reader (``全国规则集2.0.1版`` / ``the national ruleset, version
2.0.1``), from its id, region and title; a layer id (``2017-2018/guangdong@2.0.1``) likewise. Reads
only the region names and, for a layer that is neither national nor a region, the title in the
layer's ruleset file beside the one given. Knows no engine and no particular rule.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from ._facts_schema import packaged_regions
from ._loader import PathProblem, read_file

__all__ = ["ruleset_name", "layer_name", "layers_text", "LAYER_ID"]

LAYER_ID = re.compile(r"(?P<term>[^/]+)/(?P<name>[^@]+)@(?P<version>.+)")
_TERM_HEAD = re.compile(r"^\s*[0-9]{4}\s*[—–-]\s*[0-9]{4}\s*(年度)?\s*")


def _title_name(title: str) -> str:
    """A ruleset title without the term it starts with (the term is said beside it)."""
    return _TERM_HEAD.sub("", title).strip() or title


def _name(ruleset_id: str, lang: str, region: str | None, title: str | None) -> str:
    regions = packaged_regions().names
    code = region or (ruleset_id if ruleset_id in regions else None)
    if code in regions:
        return regions[code]["zh" if lang == "zh" else "en"]
    if ruleset_id == "national":
        return "全国" if lang == "zh" else "national"
    if title:
        return _title_name(title) if lang == "zh" else f"“{_title_name(title)}”"
    return ruleset_id


def ruleset_name(ruleset_id: str, version: str, lang: str, *, region: str | None = None,
                 title: str | None = None) -> str:
    """A ruleset version in words: ``全国规则集2.0.1版`` / ``the national ruleset, version 2.0.1``;
    a region's by the region's name, any other by its ``title`` (in ``lang``) without the term."""
    name = _name(ruleset_id, lang, region, title)
    return f"{name}规则集{version}版" if lang == "zh" else f"the {name} ruleset, version {version}"


@functools.lru_cache(maxsize=64)
def _title_in(folder: str, name: str) -> tuple[str, str] | None:
    """(zh, en) title of the ruleset file ``name``.yaml in ``folder``, if it is there and says one."""
    path = Path(folder) / f"{name}.yaml"
    try:
        # read_file as for every policy file: a regular file of bounded size (a FIFO waited for ever)
        doc: Any = yaml.safe_load(read_file(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, PathProblem):
        return None
    title = doc.get("title") if isinstance(doc, dict) else None
    if isinstance(title, dict) and isinstance(title.get("zh"), str) and isinstance(title.get("en"), str):
        return title["zh"], title["en"]
    return None


def layer_name(layer: str, lang: str, *, folder: str | None = None, own: tuple[str, str, str] | None = None,
               term: str | None = None) -> str:
    """A layer id (``2017-2018/guangdong@2.0.1``) in words (``广东规则集2.0.1版``). ``own`` is (id, zh title,
    en title) of the ruleset the layers belong to; a layer that is neither national, a region nor that
    ruleset is named by the title in its file in ``folder`` (the ruleset's folder), else by its id. A layer
    of another term than ``term`` says its term (``2017—2018年度全国规则集2.0.1版``)."""
    m = LAYER_ID.fullmatch(layer)
    if m is None:
        return layer
    name, version = m["name"], m["version"]
    title = None
    if own is not None and own[0] == name:
        title = own[1] if lang == "zh" else own[2]
    elif folder is not None and name != "national" and name not in packaged_regions().names:
        got = _title_in(folder, name)
        title = None if got is None else got[0] if lang == "zh" else got[1]
    text = ruleset_name(name, version, lang, title=title)
    if term is None or m["term"] == term:
        return text
    shown = m["term"].replace("-", "—", 1)
    return f"{shown}年度{text}" if lang == "zh" else f"{text} ({shown})"


def layers_text(layers: tuple[str, ...] | list[str], lang: str, *, folder: str | None = None,
                own: tuple[str, str, str] | None = None) -> str:
    """The layers from the base to the top, in words, joined by arrows; when they span terms, each says
    its term."""
    terms = {m["term"] for m in (LAYER_ID.fullmatch(str(x)) for x in layers) if m is not None}
    same = next(iter(terms)) if len(terms) == 1 else ""  # "": no layer's term, so each says its own
    return " → ".join(layer_name(str(x), lang, folder=folder, own=own, term=same) for x in layers)
