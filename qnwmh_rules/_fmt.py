"""``qnwmh-rules fmt``: ruleset and cases files in one layout, comments kept.

Owns: rewriting the layout of a YAML file with a round-trip YAML library (ruamel.yaml), and
proving that the rewritten file holds the same data. Must not check or decide rules.

The layout: mappings indented by 2; in a ruleset file list items indented by 4 with the dash
at 2 (``rules:`` then ``  - id: …``), in a cases file list items at the indentation of their
key (``cases:`` then ``- name: …``), as the shipped files are written; lines are not re-wrapped
(a flow mapping ``{a: 1, b: 2}`` is one line); quotes, comments, key order and blank lines are
kept; one newline at the end.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from ._loader import file_kind

__all__ = ["format_text", "yaml_files", "replace_file", "FormatError"]


class FormatError(ValueError):
    """A file cannot be formatted (not YAML, or the layout would change its data)."""


def _layout(kind: str) -> tuple[int, int]:
    return (2, 0) if kind == "cases" else (4, 2)


def format_text(text: str, kind: str) -> str:
    """``text`` of a ruleset (``kind="ruleset"``) or cases file (``"cases"``) in the canonical layout.
    Raises FormatError if it is not YAML or if the result would hold other data (never written then)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    y = YAML()
    y.preserve_quotes = True
    y.width = 1 << 16  # never re-wrap
    sequence, offset = _layout(kind)
    y.indent(mapping=2, sequence=sequence, offset=offset)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # a CR in YAML text is a line break: LF ends lines
    try:
        data = y.load(text)
        buf = io.StringIO()
        y.dump(data, buf)
    except YAMLError as exc:
        raise FormatError(f"not YAML: {' '.join(str(exc).split())}") from None
    dumped = buf.getvalue()
    try:
        before = yaml.safe_load(text)
        out = _tidy(dumped)
        if not _same(yaml.safe_load(out), before):  # trailing blanks inside a block scalar are data
            out = dumped.rstrip("\n") + "\n"
        same = _same(yaml.safe_load(out), before)
    except yaml.YAMLError as exc:
        raise FormatError(f"not YAML: {' '.join(str(exc).split())}") from None
    if not same:
        raise FormatError("the layout would change the data; left as it is (please report it)")
    if before is None:  # no document (empty, or comments only): nothing to lay out
        return text
    lost = _lost_comments(text, out)
    if lost:
        raise FormatError(f"the layout would lose the comment {lost[0]!r}"
                          + (f" and {len(lost) - 1} other(s)" if len(lost) > 1 else "")
                          + "; left as it is (a comment inside a flow collection [ ] or { }, or after a "
                            "document's end `...`, cannot be kept: put it on a line of its own in the block layout)")
    return out


def _tidy(dumped: str) -> str:
    """No trailing blanks on a line, one newline at the end."""
    return "\n".join(line.rstrip(" \t") for line in dumped.split("\n")).rstrip("\n") + "\n"


def _same(a: Any, b: Any) -> bool:
    """Equal data with equal types throughout (``1``, ``1.0`` and ``true`` are not the same value)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return bool(b != b)
    return bool(a == b)


def _comments(text: str) -> list[str]:
    """The comments of a YAML text, as written (without the ``#``'s surroundings): what lies
    between its tokens (a comment after a block scalar's ``|`` belongs to the scalar's token)."""
    scanner = yaml.SafeLoader(text)
    found: list[str] = []
    at = 0
    try:
        while True:
            token = scanner.get_token()
            if token is None:
                break
            found.extend(c.strip() for c in re.findall(r"#[^\r\n]*", text[at:token.start_mark.index]))
            at = max(at, token.end_mark.index)
    finally:
        scanner.dispose()
    return found


def _lost_comments(before: str, after: str) -> list[str]:
    """The comments of ``before`` missing from ``after`` (counted: a comment written twice must stay twice)."""
    return list((Counter(_comments(before)) - Counter(_comments(after))).elements())


_FORMATTED = ("ruleset", "cases")  # the kinds of file fmt lays out (``_loader.file_kind``)


def yaml_files(paths: list[str]) -> list[tuple[Path, str | None]]:
    """(file, kind) for each file named, and each ruleset or cases file under a folder named; kind
    is ``"ruleset"`` or ``"cases"`` (``_loader.file_kind``), or None for a file named that is neither
    (a facts schema, a phrasing file, a ``.json`` file: fmt reports it and leaves it as written)."""
    out: list[Path] = []
    for name in paths:
        p = Path(name)
        # facts schemas and phrasing files under a folder are not fmt's: left as written, unreported;
        # a symbolic link inside a folder is not followed (it could point out of the folder, or at a
        # file of the folder a second time); a file named itself is formatted through its link
        out.extend(sorted(f for f in p.rglob("*.yaml") if f.is_file() and not f.is_symlink()
                          and file_kind(f) in _FORMATTED)
                   if p.is_dir() else [p])
    return [(f, kind if (kind := file_kind(f)) in _FORMATTED else None) for f in out]


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) as the new content of ``path`` all at once: into a temporary file
    beside it, flushed to disk, then renamed over it, so an interrupted or failed write leaves the
    old file whole (never a cut-off ruleset). A symbolic link stays a link: the file it points to
    is replaced. The file's permission bits are kept. Raises OSError (nothing changed then), also for
    a file with other hard links (a rename would split them)."""
    target = Path(os.path.realpath(path))
    st = target.stat()
    if st.st_nlink > 1:  # a rename would give this name a new file and leave the other names the old one
        raise OSError(errno.EMLINK, f"it has {st.st_nlink - 1} other hard link(s), which replacing it would "
                                    "split from it; format a copy, or remove the other links first")
    mode = stat.S_IMODE(st.st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
