"""The shipped files of rulesets/, by kind: the tests' one reading of "the shipped rulesets"
(``qnwmh_rules._loader.file_kind``, the package's own, so a new kind of file under rulesets/ —
facts schemas, phrasing files — is never taken for a ruleset again)."""

from __future__ import annotations

from pathlib import Path

from qnwmh_rules._loader import file_kind

ROOT = Path(__file__).resolve().parent.parent
RULESETS_DIR = ROOT / "rulesets"


def shipped(*kinds: str, pattern: str = "**/*.yaml") -> list[Path]:
    """The files under rulesets/ matching ``pattern`` whose kind is one of ``kinds``, sorted."""
    return sorted(p for p in RULESETS_DIR.glob(pattern) if file_kind(p) in kinds)
