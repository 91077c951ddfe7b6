"""A checker for text written for a Chinese reader (notes, HTML pages, why-not, docs pages).

``zh_problems(text, allow=...)`` lists every phrase a native reader of a league committee would have to
correct because it is not Chinese prose: a raw fact path of any facts schema, a JSON literal (``"…"`` in
straight quotes, ``true``/``false``/``null``, ``[``/``{`` structures such as a ``[path=value]`` hint), an ISO
date or time (or a date in another machine form: unpadded, with slashes or dots), condition text (``==``,
``params.``, ``any(``), any run of Latin letters not in the allowlist (full-width ones too: ＣＮ), and any
letter of another script (Cyrillic, Greek, kana, Hangul). ``html_text`` turns an HTML page into the text a
reader sees; ``without_sections`` leaves out sections owned elsewhere. Reusable: point it at docs pages too.

The allowlist (``ALLOWED``) is deliberately small: what an auditor needs verbatim to reproduce a result and
cannot be translated — ids (rule ids and the subject's id, passed as ``allow``), hex digests (the SHA-256
lines: a run of hex letters with a digit, or of 16 or more), ``SHA-256`` itself, the engines' names
``durable_rules`` and ``Python``, and web addresses quoted from a source text (the Guangdong notice names
``http://www.qnwmh.org``). Version numbers (``2.0.1``) contain no letters and need no entry.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable

from qnwmh_rules._facts_schema import read_schema_file, schema_dir

ALLOWED = frozenset({"SHA-256", "durable_rules", "Python"})  # the engines' own names (the stamp)
_HEX = re.compile(r"[0-9a-f]{7,}")  # and a digit, or 16 characters: no English word is a digest
_HEX_DIGIT = re.compile(r"\d")
_URL = re.compile(r"https?[:：]//[A-Za-z0-9._~/%?=&#:-]+")  # as quoted (the source writes http：//)
_LATIN = re.compile(r"[A-Za-z0-9_.\-]*[A-Za-z][A-Za-z0-9_.\-]*")
_JSON = (re.compile(r'"[^"\n]*"'), re.compile(r"\b(?:true|false|null)\b"), re.compile(r"[\[\]{}]"))
_ISO = (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), re.compile(r"\d{4}([/.])\d{1,2}\1\d{1,2}"),
        re.compile(r"\d{1,2}:\d{2}:\d{2}"), re.compile(r"T\d{2}:\d{2}"))
_FULLWIDTH_LATIN = {c + 0xFEE0: c for c in [*range(ord("A"), ord("Z") + 1), *range(ord("a"), ord("z") + 1)]}
# a letter of any other script (Cyrillic, Greek, kana, Hangul, ...): neither Han, nor Latin (checked above)
_FOREIGN = re.compile(r"[^\W\d_A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_CONDITION = re.compile(r"==|!=|>=|<=|&&|\|\||\bparams\.|\b(?:any|all|count|not)\(")


@functools.cache
def fact_paths() -> tuple[str, ...]:
    """Every field path, list and group of every shipped facts schema (``honors[].level``, ``members``)."""
    paths: set[str] = set()
    for f in sorted(schema_dir().glob("*.facts.yaml")):
        if f.name.startswith("regions@"):
            continue
        schema = read_schema_file(f)
        paths.update(schema.labels)
        paths.update(schema.fields)
    return tuple(sorted(paths, key=len, reverse=True))


@functools.cache
def _path_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """A path as it can be shown: ``honors[].level``, ``honors[0].level``, ``honors.0.level``."""
    out = []
    for p in fact_paths():
        if "." not in p and "[" not in p:
            continue  # a single word: the Latin check names it
        body = re.escape(p).replace(r"\[\]", r"(?:\[\d*\]|\.\d+)")
        out.append((p, re.compile(rf"(?<![A-Za-z0-9_]){body}(?![A-Za-z0-9_])")))
    return tuple(out)


def raw_problems(text: str) -> list[str]:
    """What no reader's text may hold in any language: fact paths, JSON, ISO dates and times, condition
    text (the checks of ``zh_problems`` but the one for Latin letters), as ``kind: phrase`` lines."""
    found: list[str] = []
    text = _URL.sub(" ", text)
    for p, pattern in _path_patterns():
        found += [f"fact path {p}: {m.group(0)}" for m in pattern.finditer(text)]
    for pattern in _JSON:
        found += [f"JSON: {m.group(0)}" for m in pattern.finditer(text)]
    for pattern in _ISO:
        found += [f"ISO date/time: {m.group(0)}" for m in pattern.finditer(text)]
    found += [f"condition text: {m.group(0)}" for m in _CONDITION.finditer(text)]
    return found


def zh_problems(text: str, *, allow: Iterable[str] = ()) -> list[str]:
    """Every phrase of ``text`` that is not Chinese prose, as ``kind: phrase`` lines (empty when clean):
    ``raw_problems`` and every run of Latin letters but the allowlist. ``allow`` adds ids that are quoted
    verbatim on purpose (rule ids, the subject's id)."""
    allowed = ALLOWED | set(allow)
    text = text.translate(_FULLWIDTH_LATIN)  # a Chinese input method types Latin in full width: ＣＮ is CN
    found = raw_problems(text)
    text = _URL.sub(" ", text)
    for m in _LATIN.finditer(text):
        word = m.group(0).strip(".-")
        if word and word not in allowed and not _is_digest(word):
            found.append(f"Latin: {word}")
    found += [f"foreign letter: {m.group(0)}" for m in _FOREIGN.finditer(text)]
    return found


def _is_digest(word: str) -> bool:
    """A hex digest as the stamp prints one (``deadbeef`` alone, an English word, is not)."""
    return bool(_HEX.fullmatch(word)) and (len(word) >= 16 or bool(_HEX_DIGIT.search(word)))


def html_text(page: str) -> str:
    """What a reader of an HTML page sees: no style or script, no tags, entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def without_sections(text: str, headings: Iterable[str]) -> str:
    """``text`` (a plain-text note) without the sections under the given heading lines (each section
    runs to the next blank line)."""
    out, skipping = [], False
    heads = set(headings)
    for line in text.splitlines():
        if line.strip() in heads:
            skipping = True
        elif skipping and not line.strip():
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out)


def without_html_sections(page: str, classes: Iterable[str]) -> str:
    """``page`` without its ``<section class="…">`` elements of the given classes."""
    for c in classes:
        page = re.sub(rf'<section class="{re.escape(c)}"[^>]*>.*?</section>', " ", page, flags=re.S)
    return page
