"""Released ruleset versions are immutable: the lock file and its check.

Owns: finding ``releases.lock`` (in the ruleset's folder or a parent folder), reading and
writing it, and refusing a released version whose canonical content or finding wording changed (Q130).
The lock's ``releases`` map ``<term>/<ruleset id>@<version>`` to the sha256 of the ruleset's canonical
content (``_schema.content_sha256``: meaning, not bytes, so comments may change; the stamp's hash);
its ``wording`` map the same keys to the sha256 of the ruleset's finding templates
(``_schema.wording_sha256``): wording is not meaning, so it stays out of the content hash, but a released
version's notes read the same years later. A lock written before ``wording`` existed holds none: such a
version's wording is recorded by its next ``release`` (which then refuses a change like any other).
Must not know conditions or the engine.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from ._loader import PathProblem, read_file
from ._model import Ruleset
from .exceptions import RulesetError

__all__ = ["LOCK_NAME", "find_lock", "read_lock", "read_wording", "check_released", "release"]

LOCK_NAME = "releases.lock"
_HEADER = ("Released ruleset versions: <term>/<ruleset>@<version> -> sha256 of the canonical content. "
           "Written by `qnwmh-rules release`; do not edit by hand.")
_WORDING_ABOUT = ("The same versions -> sha256 of their finding templates (wording, not meaning: outside the "
                  "content hash, but a released version's notes never change).")


def find_lock(ruleset_path: str | Path) -> Path | None:
    """The nearest ``releases.lock`` in the ruleset's folder or above it."""
    here = Path(ruleset_path).resolve().parent
    for folder in (here, *here.parents):
        candidate = folder / LOCK_NAME
        if candidate.is_file():
            return candidate
    return None


def read_lock(path: Path) -> dict[str, str]:
    """The lock's ``releases`` map (version key -> sha256 of its content). Q131 for an unreadable lock."""
    return _read(path)[0]


def read_wording(path: Path) -> dict[str, str]:
    """The lock's ``wording`` map (version key -> sha256 of its finding templates); empty for a lock
    written before it existed. Q131 as ``read_lock`` for an unreadable lock or a malformed map."""
    return _read(path)[1]


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: a name written twice (a hand edit, a bad merge) would
    otherwise keep its last hash silently, and an edited release pass as unchanged."""
    doc = dict(pairs)
    if len(doc) != len(pairs):
        twice = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        raise ValueError(f"{', '.join(twice)} written twice")
    return doc


def _is_sha256(value: object) -> bool:
    """64 lower-case hex digits: what `release` writes (a hand-edited hash read as one made Q130 say the
    released content or wording changed, when the lock had)."""
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value, re.ASCII) is not None


def _read(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The lock's ``releases`` and ``wording`` maps, the file read and checked once."""
    try:
        # a regular file of at most MAX_FILE_BYTES: never /dev/zero or a FIFO
        doc = json.loads(read_file(path), object_pairs_hook=_once)
    except PathProblem as exc:
        raise RulesetError("Q131", f"the lock file cannot be read: {exc.message}", path=str(path), line=1, col=1,
                           suggestion="name the releases.lock file of the rulesets folder") from None
    except IsADirectoryError:
        raise RulesetError("Q131", "the lock file cannot be read: this is a folder, not a lock file", path=str(path),
                           line=1, col=1, suggestion="name the releases.lock file of the rulesets folder") from None
    except OSError as exc:
        raise RulesetError("Q131", f"the lock file cannot be read: {exc.strerror or exc}", path=str(path), line=1,
                           col=1, suggestion="restore it from version control") from exc
    except ValueError as exc:
        raise RulesetError("Q131", f"the lock file cannot be read: {exc}", path=str(path), line=1, col=1,
                           suggestion="restore it from version control") from exc
    releases = doc.get("releases") if isinstance(doc, dict) else None
    if not isinstance(releases, dict) or not all(_is_sha256(v) for v in releases.values()):
        raise RulesetError("Q131", "the lock file has no `releases` mapping of names to hashes",
                           path=str(path), line=1, col=1, suggestion="restore it from version control")
    wording = doc.get("wording", {})
    if not isinstance(wording, dict) or not all(_is_sha256(v) for v in wording.values()) \
            or not set(wording) <= set(releases):
        raise RulesetError("Q131", "the lock file's `wording` is not a mapping of released names to hashes",
                           path=str(path), line=1, col=1, suggestion="restore it from version control")
    return dict(releases), dict(wording)


def check_released(rs: Ruleset, version_at: tuple[str, int | None, int | None], wording: str) -> None:
    """Raise Q130 if this version was released with other content, or with other finding wording
    (``wording``: the ruleset's ``_schema.wording_sha256``)."""
    lock = find_lock(rs.path)
    if lock is None:
        return
    releases, worded_by_key = _read(lock)
    released = releases.get(rs.key)
    path, line, col = version_at
    if released is not None and released != rs.sha256:
        raise RulesetError(
            "Q130", f"version {rs.version} of {rs.term}/{rs.id} was released (recorded in {lock.name}) and its "
                    f"content has changed since (sha256 {released[:12]}… → {rs.sha256[:12]}…)",
            path=path, line=line, col=col,
            suggestion="released versions are immutable: give this ruleset a new version number",
        )
    worded = worded_by_key.get(rs.key)
    if worded is not None and worded != wording:
        raise RulesetError(
            "Q130", f"version {rs.version} of {rs.term}/{rs.id} was released (recorded in {lock.name}) and the "
                    f"wording of its findings has changed since (sha256 {worded[:12]}… → {wording[:12]}…)",
            path=path, line=line, col=col,
            suggestion="released versions are immutable, their notes too: give this ruleset a new version number",
        )


def release(rs: Ruleset, lock: Path, wording: str) -> str | None:
    """Record ``rs`` (its content hash, and ``wording``: its ``_schema.wording_sha256``) in ``lock``
    (created if needed). Returns ``"released"``, ``"wording"`` (a version recorded before the lock had
    ``wording`` gets its wording recorded) or None (already recorded identically). Q130 if recorded with
    other content or wording."""
    releases, worded = _read(lock) if lock.exists() else ({}, {})
    key = rs.key
    if releases.get(key) == rs.sha256 and worded.get(key) == wording:
        return None
    said = "wording" if key in releases else "released"
    if key in releases and releases[key] != rs.sha256:
        raise RulesetError("Q130", f"{key} is already released with other content", path=rs.path,
                           suggestion="give this ruleset a new version number")
    if key in worded and worded[key] != wording:
        raise RulesetError("Q130", f"{key} is already released with other wording of its findings", path=rs.path,
                           suggestion="give this ruleset a new version number")
    releases[key] = rs.sha256
    worded[key] = wording
    text = json.dumps({"about": _HEADER, "releases": dict(sorted(releases.items())),
                       "wording_about": _WORDING_ABOUT, "wording": dict(sorted(worded.items()))},
                      ensure_ascii=False, indent=2) + "\n"
    tmp = lock.with_name(lock.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, lock)  # atomic: a crash leaves the old lock or the new one, never half of it
    return said
