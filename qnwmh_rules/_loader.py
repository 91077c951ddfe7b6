"""Reading ruleset files: YAML text -> plain Python values plus a table of positions.

Owns: YAML syntax errors, duplicate keys, refusing YAML tags that could build
objects (``!!python/...`` or any custom tag), and 1-based line/column of every key
and value. Must not know what a ruleset means (that is ``_schema``).

Every plain scalar means what its author typed (YAML 1.1's implicit typing is not
trusted): whole numbers are decimal digits, decimals are read exactly as
``decimal.Decimal`` from their text (``1.10`` stays ``1.10``), booleans are
``true``/``false``, null is ``null`` or nothing, dates are ``YYYY-MM-DD``. Every other
notation YAML 1.1 would convert (``017`` octal, ``0x1F``, ``1_000``, ``1:30``
sexagesimal, ``1e3``, ``.5``, ``yes``/``no``/``on``/``off``, ``~``, ``2017-9-30``) is
refused with Q160 and how to write it; ``.nan``/``.inf``, numbers beyond 15
significant digits and decimals of more than 15 places with Q161. An explicit tag on
quoted text (``!!float '.nan'``) is held to the same notations. Anchors and aliases
(``&five`` ... ``*five``) may repeat a value, but a self-referencing alias and a file
that expands to more than ``MAX_NODES`` values (an "alias bomb") are refused (Q163), and
so is nesting deeper than ``MAX_DEPTH`` (Q164), before any of it is built.
"""

from __future__ import annotations

import os
import re
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import yaml

from ._moments import TERM, show
from .exceptions import RulesetError

__all__ = ["Loaded", "load_text", "text_position", "MAX_DEPTH", "MAX_DIGITS", "MAX_FILE_BYTES", "read_file",
           "read_source", "confined_path", "tree_root", "PathProblem", "KIND_SUFFIXES", "file_kind"]

# What a YAML file of a rulesets folder is, by the end of its name: the one place that says so.
# Every other ``*.yaml`` file is a ruleset (``rulesets/<term>/*.yaml``, ``rulesets/examples/*.yaml``).
KIND_SUFFIXES = {"cases": ".cases.yaml", "facts_schema": ".facts.yaml", "phrasing": ".phrasing.yaml"}


def file_kind(path: str | os.PathLike[str]) -> str | None:
    """``"ruleset"``, ``"cases"``, ``"facts_schema"`` or ``"phrasing"`` for a YAML file of a rulesets
    folder, by its name (``KIND_SUFFIXES``); None for a name that does not end in ``.yaml``."""
    name = os.path.basename(os.fspath(path))
    for kind, suffix in KIND_SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    return "ruleset" if name.endswith(".yaml") else None


MAX_FILE_BYTES = 1_048_576  # a ruleset, cases or base facts file; the largest shipped one is ~20 KB

MAX_DEPTH = 64  # nested mappings and lists in one file
MAX_DIGITS = 15  # significant digits of a number (so that it also shows exactly as a JSON double)
MAX_MAGNITUDE = 10**15  # numbers in ruleset files are smaller than this
MAX_NODES = 100_000  # values in one file once aliases are expanded

# Tags a policy file may carry (all implicit, resolved by YAML itself).
_ALLOWED_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)

Key = tuple[Any, ...]


@attrs.frozen
class Loaded:
    """A parsed YAML document with where each key path sits in the file."""

    path: str
    data: Any
    # key path -> (line, col) of the value; key path + ("@key",) -> the key itself.
    positions: dict[Key, tuple[int, int]] = attrs.field(repr=False)
    source: str = attrs.field(default="", repr=False)
    # problems found while reading that did not stop it (duplicate keys, tags): reported with the rest
    errors: tuple[RulesetError, ...] = attrs.field(default=(), repr=False)
    # key path -> (tag, text as written) of each value YAML read as an int, float or timestamp
    # (YAML 1.1 reads 030, 0x18, 1_000 and 0:24 as 24): for readers that accept fewer forms
    scalars: dict[Key, tuple[str, str]] = attrs.field(factory=dict, repr=False)

    def pos(self, keypath: Key, *, key: bool = False) -> tuple[int | None, int | None]:
        """Best known (line, col) for ``keypath``: the nearest enclosing node if absent."""
        kp = tuple(keypath)
        if key and kp + ("@key",) in self.positions:
            return self.positions[kp + ("@key",)]
        while kp:
            if kp in self.positions:
                return self.positions[kp]
            kp = kp[:-1]
        return self.positions.get((), (1, 1))

    def error(
        self, code: str, message: str, keypath: Key, *, key: bool = False,
        suggestion: str | None = None, offset: tuple[int, int] | None = None,
    ) -> RulesetError:
        line, col = self.pos(keypath, key=key)
        if not key and tuple(keypath) + ("@refused",) in self.positions:
            # the loader refused this value and said why; what a reader says of the None left is a follow-on
            return RulesetError(code, message, path=self.path, line=line, col=col, suggestion=suggestion,
                                follow_on=True)
        if offset is not None and line is not None and col is not None:
            dl, c = offset
            line, col = (line + dl, c if dl else col + c)
        return RulesetError(code, message, path=self.path, line=line, col=col, suggestion=suggestion)


class PathProblem(Exception):
    """A path a ruleset or cases file names that may not be read: ``code`` and a message that never
    quotes the content of the file."""

    def __init__(self, code: str, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.suggestion = code, message, suggestion


def tree_root(file: Path) -> Path:
    """The rulesets tree a file belongs to: the folder above its term folder (``rulesets/`` for
    ``rulesets/2017-2018/national.yaml``), or its own folder when that is not a term folder."""
    folder = Path(os.path.abspath(file)).parent
    return folder.parent if TERM.fullmatch(folder.name) else folder


def confined_path(ref: str, referrer: Path, *, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> Path:
    """The file ``ref`` (written in ``referrer``, relative to its folder) if it stays inside the
    referrer's rulesets tree; PathProblem (Q165) otherwise.

    Refused: absolute paths, ``..`` that leaves the tree, symbolic links anywhere on the way
    (inside the tree too), and names without one of ``suffixes``. The file need not exist
    (the caller reports a missing file with its own code).
    """
    root = tree_root(referrer)
    if "\0" in ref:
        raise PathProblem("Q165", f"{ref!r} holds a NUL character, which no file name can", "name a ruleset file")
    if os.path.isabs(ref) or ref.startswith("~"):
        raise PathProblem("Q165", f"{ref!r} is an absolute path; a ruleset may only name files in its own "
                                  "rulesets tree", "write the path relative to this file, e.g. national.yaml")
    target = Path(os.path.normpath(Path(os.path.abspath(referrer)).parent / ref))
    try:
        inside = target.relative_to(root)
    except ValueError:
        raise PathProblem("Q165", f"{ref!r} leads outside this file's rulesets tree ({root.name or root}/)",
                          "a ruleset may only name files in the folder of its term or in another term's "
                          "folder beside it") from None
    if not inside.parts:
        raise PathProblem("Q165", f"{ref!r} names a folder, not a file")
    node = str(root)
    for part in inside.parts:
        node = os.path.join(node, part)
        link = _is_link(node, ref)
        if link is None:  # missing: nothing below it exists (the caller reports a missing file)
            _is_link(str(target), ref)  # but the whole path may still be one the system cannot take
            break
        if link:
            raise PathProblem("Q165", f"{ref!r} goes through a symbolic link ({part}), which may lead anywhere",
                              "name the real file")
    if not target.name.endswith(suffixes):
        raise PathProblem("Q165", f"{ref!r} is not a {' or '.join(suffixes)} file")
    return target


def _is_link(node: str, ref: str) -> bool | None:
    """Whether ``node`` is a symbolic link (None: it does not exist); Q165 if the system cannot look."""
    try:
        return stat.S_ISLNK(os.lstat(node).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:  # a name or path too long for the file system, a folder that may not be listed
        raise PathProblem("Q165", f"{ref!r} cannot be used as a path here ({exc.strerror})",
                          "name a ruleset file of this tree with a short relative path") from None


def read_file(path: Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    Raises FileNotFoundError, IsADirectoryError, PathProblem (Q165: a device, FIFO or socket,
    or too large; checked before reading, so /dev/zero or a FIFO never blocks) or
    UnicodeDecodeError.
    """
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(str(path))
    if not stat.S_ISREG(st.st_mode):
        raise PathProblem("Q165", "this is not a regular file (a device, FIFO or socket)",
                          "name a ruleset file")
    if st.st_size > limit:
        raise PathProblem("Q165", f"the file is larger than {limit:,} bytes", "a ruleset file is far smaller")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise PathProblem("Q165", f"the file is larger than {limit:,} bytes", "a ruleset file is far smaller")
    return data.decode("utf-8")


def read_source(path: Path, what: str, shown: str | None = None) -> str:
    """The text of a ruleset, cases or facts schema file (``what`` names the kind in messages),
    read with ``read_file``; every way it cannot be read is a RulesetError naming the file
    (``shown``, default the path as given): Q010 missing, a folder or unreadable (with the
    system's reason), Q011 not UTF-8, Q165 not a regular file or too large."""
    shown = str(path) if shown is None else shown
    try:
        return read_file(path)
    except FileNotFoundError:
        raise RulesetError("Q010", f"{what} file not found", path=shown) from None
    except IsADirectoryError:
        raise RulesetError("Q010", f"this is a folder, not a {what} file", path=shown) from None
    except UnicodeDecodeError as exc:
        raise RulesetError("Q011", f"{what} file is not UTF-8 text: {exc}", path=shown) from None
    except PathProblem as exc:
        raise RulesetError(exc.code, exc.message, path=shown, suggestion=exc.suggestion) from None
    except OSError as exc:
        raise RulesetError("Q010", f"the {what} file cannot be read: {exc.strerror or exc}", path=shown) from None


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _text_origin(node: yaml.ScalarNode) -> tuple[int, int]:
    """Where the scalar's text itself starts (after a quote or a block indicator line)."""
    line, col = _mark(node)
    if node.style in ('"', "'"):
        return (line, col + 1)
    if node.style in ("|", ">"):
        lines = node.start_mark.buffer.split("\n") if node.start_mark.buffer else []
        nxt = lines[line] if line < len(lines) else ""
        return (line + 1, len(nxt) - len(nxt.lstrip(" ")) + 1)
    return (line, col)


def text_position(loaded: Loaded, kp: Key, offset: int, text: str) -> tuple[int, int]:
    """1-based (line, col) in the file of character ``offset`` of the scalar text at ``kp``.

    Works for one-line scalars and for scalars over several lines (``|``, ``>``, plain or
    quoted): it walks the source lines from where the text starts, each line contributing
    its content and one character for the line break (kept by ``|``, folded to a space by
    the others), so an offset lands on the line and column where that character is written.
    """
    origin = loaded.positions.get(tuple(kp) + ("@text",))
    if origin is None:
        line, col = loaded.pos(kp)
        return (line or 1, col or 1)
    line, col = origin
    lines = loaded.source.split("\n")
    consumed = 0
    first = True
    while line - 1 < len(lines):
        raw = lines[line - 1]
        start = col - 1 if first else len(raw) - len(raw.lstrip(" "))
        content = raw[start:]
        if offset <= consumed + len(content) or line == len(lines):
            return (line, start + 1 + max(0, offset - consumed))
        consumed += len(content) + 1
        line += 1
        first = False
    return origin


def load_text(text: str, path: str) -> Loaded:
    """Parse ``text`` (the content of ``path``).

    A syntax error (or an empty file) raises RulesetError; duplicate keys, tags and
    unreadable values are collected in ``Loaded.errors`` and reading goes on.
    """
    try:
        loader = _Composer(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise RulesetError(exc.code, exc.message, path=path, line=exc.mark[0], col=exc.mark[1],
                           suggestion=exc.suggestion) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise RulesetError(
            "Q001", f"YAML syntax error: {exc.problem or exc}", path=path, line=line, col=col,
            suggestion="check indentation and quoting around this spot",
        ) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not accept (NUL, other control characters)
        before = text[:exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        raise RulesetError("Q001", f"YAML does not accept the character U+{exc.character:04X} ({exc.reason})",
                           path=path, line=line, col=col,
                           suggestion="remove it; a ruleset is plain text") from None
    except yaml.YAMLError as exc:  # pragma: no cover - any other reader error
        raise RulesetError("Q001", f"YAML error: {exc}", path=path, line=1, col=1) from exc
    if node is None:
        raise RulesetError("Q002", "the file is empty; a ruleset is a mapping", path=path, line=1, col=1)
    positions: dict[Key, tuple[int, int]] = {}
    constructor = yaml.SafeLoader("")
    errors: list[RulesetError] = []
    budget = _Budget()
    try:
        data = _build(node, (), positions, constructor, path, errors, budget)
    except _Refused as exc:
        raise RulesetError(exc.code, exc.message, path=path, line=exc.mark[0], col=exc.mark[1],
                           suggestion=exc.suggestion) from None
    # a value under an anchor is built once per alias (`citation: *five`): its problem is reported once
    once = {(e.code, e.line, e.col, e.message): e for e in reversed(errors)}
    return Loaded(path=path, data=data, positions=positions, source=text,
                  errors=tuple(e for e in errors if once[(e.code, e.line, e.col, e.message)] is e),
                  scalars=budget.scalars)


class _Budget:
    """What building the values may still take: a count of values and the collections being built."""

    def __init__(self) -> None:
        self.left = MAX_NODES
        self.open: set[int] = set()
        # key path -> (tag, text as written) of each int, float or timestamp value
        self.scalars: dict[Key, tuple[str, str]] = {}


def _build(node: yaml.Node, kp: Key, positions: dict[Key, tuple[int, int]],
           constructor: yaml.SafeLoader, path: str, errors: list[RulesetError], budget: _Budget) -> Any:
    """Plain values from the node tree; problems go to ``errors`` and the bad part becomes None."""
    budget.left -= 1
    if budget.left < 0:
        raise _Refused("Q163", f"the file expands to more than {MAX_NODES:,} values (YAML aliases repeat "
                               "values)", node.start_mark, "write each value out once; do not nest aliases")
    if len(kp) > MAX_DEPTH:
        raise _Refused("Q164", f"the file nests mappings and lists more than {MAX_DEPTH} deep",
                       node.start_mark, "a ruleset needs only a few levels; flatten this part")
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if id(node) in budget.open:
            raise _Refused("Q163", "a YAML alias refers to a value that contains it", node.start_mark,
                           "a value cannot contain itself; write it out")
        budget.open.add(id(node))
        try:
            return _build_collection(node, kp, positions, constructor, path, errors, budget)
        finally:
            budget.open.discard(id(node))
    return _build_scalar(node, kp, positions, constructor, path, errors, budget.scalars)


def _tag_refused(node: yaml.Node, path: str) -> RulesetError:
    """Q003 for a YAML tag that rulesets do not allow, at the node (collection or scalar)."""
    line, col = _mark(node)
    return RulesetError("Q003", f"YAML tag {node.tag!r} is not allowed in a ruleset", path=path, line=line, col=col,
                        suggestion="rulesets are plain data: remove the tag")


def _build_collection(node: yaml.MappingNode | yaml.SequenceNode, kp: Key, positions: dict[Key, tuple[int, int]],
                      constructor: yaml.SafeLoader, path: str, errors: list[RulesetError], budget: _Budget) -> Any:
    positions[kp] = _mark(node)
    if node.tag not in _ALLOWED_TAGS:
        errors.append(_tag_refused(node, path))
        positions[kp + ("@refused",)] = _mark(node)
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            line, col = _mark(knode)
            if not isinstance(knode, yaml.ScalarNode):
                errors.append(RulesetError("Q004", "a mapping key must be a plain word", path=path, line=line,
                                           col=col))
                continue
            key = knode.value
            if key == "<<":
                errors.append(RulesetError("Q003", "YAML merge keys (<<) are not allowed in a ruleset",
                                           path=path, line=line, col=col,
                                           suggestion="use `inherits:` between ruleset files instead"))
                continue
            if key in out:
                first = positions[kp + (key, "@key")]
                errors.append(RulesetError(
                    "Q005", f"duplicate key {key!r} (first at line {first[0]})",
                    path=path, line=line, col=col, suggestion="remove or rename one of them",
                ))
                continue
            positions[kp + (key, "@key")] = (line, col)
            out[key] = _build(vnode, kp + (key,), positions, constructor, path, errors, budget)
        return out
    return [_build(v, kp + (i,), positions, constructor, path, errors, budget) for i, v in enumerate(node.value)]


def _build_scalar(node: yaml.Node, kp: Key, positions: dict[Key, tuple[int, int]],
                  constructor: yaml.SafeLoader, path: str, errors: list[RulesetError],
                  scalars: dict[Key, tuple[str, str]]) -> Any:
    positions[kp] = _mark(node)
    problem = _scalar_problem(node) if isinstance(node, yaml.ScalarNode) else None
    if problem is not None:
        line, col = _mark(node)
        errors.append(RulesetError(problem[0], problem[1], path=path, line=line, col=col, suggestion=problem[2]))
        positions[kp + ("@refused",)] = (line, col)
        return None
    if node.tag not in _ALLOWED_TAGS:
        errors.append(_tag_refused(node, path))
        positions[kp + ("@refused",)] = _mark(node)
        return None
    assert isinstance(node, yaml.ScalarNode)
    hidden = _INVISIBLE.search(node.value)
    if hidden is not None:  # written raw or escaped: the YAML reader accepts these format characters
        line, col = _mark(node)
        errors.append(RulesetError(
            "Q001", f"the text holds the invisible character U+{ord(hidden[0]):04X} (a zero-width or "
                    "bidirectional control), which makes a text read otherwise than it is stored",
            path=path, line=line, col=col,
            suggestion="delete it (an editor that shows invisible characters finds it); plain text needs none"))
        positions[kp + ("@refused",)] = (line, col)
        return None
    odd = _NOT_TEXT.search(node.value) if node.tag == "tag:yaml.org,2002:str" else None
    if odd is not None:  # only an escape in quotes ("\\e", "\\ud800") can write these; the reader refuses them raw
        line, col = _mark(node)
        errors.append(RulesetError(
            "Q001", f"the text holds the character U+{ord(odd[0]):04X}, a control character or a lone surrogate "
                    "that would reach terminals, XML and JSON as it is", path=path, line=line, col=col,
            suggestion="remove the escape that writes it: the file is plain text, where tabs and line breaks are fine"))
        positions[kp + ("@refused",)] = (line, col)
        return None
    positions[kp + ("@text",)] = _text_origin(node)
    tag = node.tag.rsplit(":", 1)[-1]
    if tag in ("int", "float", "timestamp"):  # for readers that accept fewer forms than YAML
        scalars[kp] = (tag, node.value)
    if node.tag == "tag:yaml.org,2002:float":  # plain, or quoted under an explicit !!float
        return Decimal(node.value)  # exact: 0.55 is 55/100, 1.10 keeps its digits
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        line, col = _mark(node)
        errors.append(RulesetError("Q001", f"cannot read value {show(node.value)}: {show(str(exc), 120)}",
                                   path=path, line=line, col=col))
        positions[kp + ("@refused",)] = (line, col)
        return None


# What no text of a ruleset or cases file holds: C0 controls but tab and line breaks (LF, CR), DEL, C1 controls,
# lone surrogates. (NUL is left to the checks of what holds it: a path with NUL is Q165, a name Q1xx; no
# terminal acts on it, and JSON and the JUnit report escape it.)
_NOT_TEXT = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Invisible format characters no policy text needs, which can make a text (a rule id, a condition, a
# citation) display otherwise than it is stored ("Trojan source"): zero-width space, joiners and marks,
# the Arabic letter mark, bidi embeddings, overrides and isolates, word joiner and invisible operators,
# and a byte-order mark inside the text. (Facts refuse every invisible character the same way.)
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


class _Refused(Exception):
    def __init__(self, code: str, message: str, mark: yaml.Mark, suggestion: str) -> None:
        super().__init__(message)
        self.code, self.message, self.suggestion = code, message, suggestion
        self.mark = (mark.line + 1, mark.column + 1)


class _Composer(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]  # Any without the PyYAML stubs
    """PyYAML's safe composer without aliases and with a bound on nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call,unused-ignore]
        if self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Refused("Q164", f"the file nests mappings and lists more than {MAX_DEPTH} deep",
                               event.start_mark, "a ruleset needs only a few levels; flatten this part")
        try:
            return super().compose_node(parent, index)
        finally:
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self._depth -= 1


_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+")
_TRUE_FALSE = ("true", "True", "TRUE", "false", "False", "FALSE")
_NULLS = ("", "null", "Null", "NULL")
# plain texts that a person reads as a number or a date but YAML 1.1 reads as text
_LOOKS_NUMERIC = re.compile(r"[-+]?(?:0[oO][0-7_]+|[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+|\.[0-9]+)")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:(?:[Tt]|[ \t]+)[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
                        r"(?:[ \t]*(?:Z|[-+][0-9]{2}(?::[0-9]{2})?))?)?")
_LOOKS_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_QUOTE = "or put it in quotes if it is meant as text"


def _scalar_problem(node: yaml.ScalarNode) -> tuple[str, str, str] | None:
    """Why a plain scalar would not mean what its author typed: (code, message, how to write it).

    Quoted or block text is always text, unless an explicit tag (``!!float '.nan'``, ``!!int '0x37'``)
    asks for another type: then its text is held to the same notations as a plain scalar's."""
    text, tag = node.value, node.tag
    shown = text if len(text) <= 40 else text[:40] + "…"  # a diagnostic line never holds a whole long value
    if node.style is not None and tag == "tag:yaml.org,2002:str":
        return None
    if tag == "tag:yaml.org,2002:int":
        if not _INT.fullmatch(text):
            return ("Q160", f"{shown} is a number in a YAML 1.1 notation (octal, hexadecimal, binary, "
                            "sexagesimal or with underscores) that would not be read as written",
                    f"write it in decimal digits without leading zeros or underscores, {_QUOTE}")
        if len(text.lstrip("+-")) > MAX_DIGITS:
            return ("Q161", f"{shown} has more than {MAX_DIGITS} digits",
                    f"numbers in a ruleset are below 10**{MAX_DIGITS}")
        return None
    if tag == "tag:yaml.org,2002:float":
        if text.lower().lstrip("+-") in (".inf", ".nan"):
            return ("Q161", f"{shown} is not a finite number", "write a number such as 0.55")
        if not _DECIMAL.fullmatch(text):
            return ("Q160", f"{shown} is a number in a YAML 1.1 notation (exponent, leading or trailing point, "
                            "sexagesimal or underscores) that would not be read as written",
                    f"write it as digits with a point, e.g. 0.55, {_QUOTE}")
        d = Decimal(text)
        if len(d.as_tuple().digits) > MAX_DIGITS or abs(d) >= MAX_MAGNITUDE:
            return ("Q161", f"{shown} has more than {MAX_DIGITS} significant digits",
                    f"numbers in a ruleset have at most {MAX_DIGITS} significant digits")
        if len(text.partition(".")[2]) > MAX_DIGITS:  # 0.000…0001 would show as 0.0 (or inexactly) in JSON
            return ("Q161", f"{text[:24]}{'…' if len(text) > 24 else ''} has more than {MAX_DIGITS} decimal places",
                    f"numbers in a ruleset have at most {MAX_DIGITS} places after the point")
        return None
    if tag == "tag:yaml.org,2002:bool" and text not in _TRUE_FALSE:
        return ("Q160", f"YAML 1.1 reads {shown} as the boolean {text.lower() in ('yes', 'on')}",
                f"write true or false, {_QUOTE} ('{shown}')")
    if tag == "tag:yaml.org,2002:timestamp" and not _TIMESTAMP.fullmatch(text):
        return ("Q160", f"{shown} is a date in a YAML 1.1 notation (one-digit month or day)",
                f"write dates as YYYY-MM-DD with two-digit month and day, {_QUOTE} ('{shown}')")
    if tag == "tag:yaml.org,2002:null" and text not in _NULLS:
        return ("Q160", f"YAML 1.1 reads {shown} as null (nothing)", f"write null, {_QUOTE} ('{shown}')")
    if tag == "tag:yaml.org,2002:str" and _LOOKS_NUMERIC.fullmatch(text):
        return ("Q160", f"{shown} looks like a number but YAML 1.1 reads it as text",
                f"write the number in decimal digits (with a point for decimals), {_QUOTE} ('{shown}')")
    if tag == "tag:yaml.org,2002:str" and _LOOKS_DATE.fullmatch(text):
        return ("Q160", f"{shown} looks like a date but YAML 1.1 reads it as text",
                f"write dates as YYYY-MM-DD with two-digit month and day, {_QUOTE} ('{shown}')")
    if tag == "tag:yaml.org,2002:value":  # a lone `=`
        return ("Q160", "YAML 1.1 reads a lone = as a special value", f"{_QUOTE} ('=')")
    return None
