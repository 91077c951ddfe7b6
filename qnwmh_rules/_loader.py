"""Reading ruleset files: YAML text -> plain Python values plus a table of positions.

Owns: YAML syntax errors, duplicate keys, refusing YAML tags that could build
objects (``!!python/...`` or any custom tag), and 1-based line/column of every key
and value. Must not know what a ruleset means (that is ``_schema``).
"""

from __future__ import annotations

from typing import Any

import attrs
import yaml

from .exceptions import RulesetError

__all__ = ["Loaded", "load_text", "text_position"]

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
        if offset is not None and line is not None and col is not None:
            dl, c = offset
            line, col = (line + dl, c if dl else col + c)
        return RulesetError(code, message, path=self.path, line=line, col=col, suggestion=suggestion)


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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise RulesetError(
            "Q001", f"YAML syntax error: {exc.problem or exc}", path=path, line=line, col=col,
            suggestion="check indentation and quoting around this spot",
        ) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors (bad bytes)
        raise RulesetError("Q001", f"YAML error: {exc}", path=path, line=1, col=1) from exc
    if node is None:
        raise RulesetError("Q002", "the file is empty; a ruleset is a mapping", path=path, line=1, col=1)
    positions: dict[Key, tuple[int, int]] = {}
    constructor = yaml.SafeLoader("")
    errors: list[RulesetError] = []
    scalars: dict[Key, tuple[str, str]] = {}
    data = _build(node, (), positions, constructor, path, errors, scalars)
    return Loaded(path=path, data=data, positions=positions, source=text, errors=tuple(errors), scalars=scalars)


def _build(node: yaml.Node, kp: Key, positions: dict[Key, tuple[int, int]],
           constructor: yaml.SafeLoader, path: str, errors: list[RulesetError],
           scalars: dict[Key, tuple[str, str]]) -> Any:
    """Plain values from the node tree; problems go to ``errors`` and the bad part becomes None."""
    positions[kp] = _mark(node)
    if node.tag not in _ALLOWED_TAGS:
        line, col = _mark(node)
        errors.append(RulesetError(
            "Q003", f"YAML tag {node.tag!r} is not allowed in a ruleset",
            path=path, line=line, col=col,
            suggestion="rulesets are plain data: remove the tag",
        ))
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
            out[key] = _build(vnode, kp + (key,), positions, constructor, path, errors, scalars)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, kp + (i,), positions, constructor, path, errors, scalars) for i, v in enumerate(node.value)]
    positions[kp + ("@text",)] = _text_origin(node)
    tag = node.tag.rsplit(":", 1)[-1]
    if tag in ("int", "float", "timestamp"):
        scalars[kp] = (tag, node.value)
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError) as exc:
        line, col = _mark(node)
        errors.append(RulesetError("Q001", f"cannot read value {node.value!r}: {exc}",
                                   path=path, line=line, col=col))
        return None
