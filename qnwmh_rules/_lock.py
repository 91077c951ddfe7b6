"""Released ruleset versions are immutable: the lock file and its check.

Owns: finding ``releases.lock`` (in the ruleset's folder or a parent folder), reading and
writing it, and refusing a released version whose canonical content changed (Q130).
The lock maps ``<term>/<ruleset id>@<version>`` to the sha256 of the ruleset's canonical
content (``_schema.content_sha256``: meaning, not bytes, so comments may change).
Must not know conditions or the engine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ._loader import PathProblem, read_file
from ._model import Ruleset
from .exceptions import RulesetError

__all__ = ["LOCK_NAME", "find_lock", "read_lock", "check_released", "release"]

LOCK_NAME = "releases.lock"
_HEADER = ("Released ruleset versions: <term>/<ruleset>@<version> -> sha256 of the canonical content. "
           "Written by `qnwmh-rules release`; do not edit by hand.")


def find_lock(ruleset_path: str | Path) -> Path | None:
    """The nearest ``releases.lock`` in the ruleset's folder or above it."""
    here = Path(ruleset_path).resolve().parent
    for folder in (here, *here.parents):
        candidate = folder / LOCK_NAME
        if candidate.is_file():
            return candidate
    return None


def read_lock(path: Path) -> dict[str, str]:
    try:
        doc = json.loads(read_file(path))  # a regular file of at most MAX_FILE_BYTES: never /dev/zero or a FIFO
    except PathProblem as exc:
        raise RulesetError("Q131", f"the lock file cannot be read: {exc.message}", path=str(path), line=1, col=1,
                           suggestion="name the releases.lock file of the rulesets folder") from None
    except OSError as exc:
        raise RulesetError("Q131", f"the lock file cannot be read: {exc.strerror or exc}", path=str(path), line=1,
                           col=1, suggestion="restore it from version control") from exc
    except ValueError as exc:
        raise RulesetError("Q131", f"the lock file cannot be read: {exc}", path=str(path), line=1, col=1,
                           suggestion="restore it from version control") from exc
    releases = doc.get("releases") if isinstance(doc, dict) else None
    if not isinstance(releases, dict) or not all(isinstance(v, str) for v in releases.values()):
        raise RulesetError("Q131", "the lock file has no `releases` mapping of names to hashes",
                           path=str(path), line=1, col=1, suggestion="restore it from version control")
    return dict(releases)


def check_released(rs: Ruleset, version_at: tuple[str, int | None, int | None]) -> None:
    """Raise Q130 if this version was released with other content."""
    lock = find_lock(rs.path)
    if lock is None:
        return
    released = read_lock(lock).get(rs.key)
    if released is not None and released != rs.sha256:
        path, line, col = version_at
        raise RulesetError(
            "Q130", f"version {rs.version} of {rs.term}/{rs.id} was released (recorded in {lock.name}) and its "
                    f"content has changed since (sha256 {released[:12]}… → {rs.sha256[:12]}…)",
            path=path, line=line, col=col,
            suggestion="released versions are immutable: give this ruleset a new version number",
        )


def release(rs: Ruleset, lock: Path) -> bool:
    """Record ``rs`` in ``lock`` (created if needed). False if it was already recorded identically."""
    releases = read_lock(lock) if lock.exists() else {}
    key = rs.key
    if releases.get(key) == rs.sha256:
        return False
    if key in releases:
        raise RulesetError("Q130", f"{key} is already released with other content", path=rs.path,
                           suggestion="give this ruleset a new version number")
    releases[key] = rs.sha256
    text = json.dumps({"about": _HEADER, "releases": dict(sorted(releases.items()))}, ensure_ascii=False,
                      indent=2) + "\n"
    tmp = lock.with_name(lock.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, lock)  # atomic: a crash leaves the old lock or the new one, never half of it
    return True
