"""The template language of findings: ``{name|format:arg,…}`` over the values and parameters a rule read.

Owns: parsing a template text into parts (literal text and placeholders), checking it against the
names a rule may use and the formatters that exist (``TemplateProblem`` with the offset of the fault
inside the text, turned into ``file:line:col`` by the reader), and rendering it in one language.

A template is data, never code: a placeholder names a value (a fact path the rule read, such as
``members.total`` or ``derived.leader_age``; ``params.<name>``; inside an item phrase, a field of the
item such as ``date`` or ``channel.unit``) and a chain of formatters from the fixed table ``FORMATTERS``
(``{params.youth_share_min|pct}`` → ``50%``; ``{leader.birth_date|date}`` → ``1984年3月2日`` in
Chinese, ``2 March 1984`` in English; ``{honors|items:'未登记荣誉'}`` → each item in the phrasing the
facts schema declares for the list). ``{{`` and ``}}`` are literal braces. Formatter arguments are
names or quoted literals (``'…'``), separated by commas.

Must not know rules, verdicts or YAML: the caller gives the scope (name → kind) and, at rendering,
the values, the outcome and a ``Vocabulary`` (labels of fact paths and enum values, region,
nationality and time-zone names, item phrasing).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Protocol

import attrs

__all__ = ["Template", "Placeholder", "Call", "TemplateProblem", "parse_template", "check_template",
           "render", "Vocabulary", "Missing", "FORMATTERS", "KINDS", "pct_text", "date_text", "term_text",
           "instant_text", "number_text"]

#: the kinds of value a name may hold (a scope maps each name to one of these)
KINDS = ("number", "string", "bool", "date", "instant", "window", "list", "item", "any")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", re.ASCII)
_LITERAL = re.compile(r"'([^'{}]*)'")


class TemplateProblem(Exception):
    """A fault in a template text: ``code`` (Q190 syntax, Q191 unknown name, Q192 formatter),
    the message, the character ``offset`` in the text and an optional suggestion."""

    def __init__(self, code: str, message: str, offset: int, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.offset, self.suggestion = code, message, offset, suggestion


class Missing(Exception):
    """A name the template needs has no value (a missing fact): the caller words the finding otherwise."""


@attrs.frozen
class Arg:
    name: str | None  # a name in scope, or None for a literal
    text: str  # the literal's text (or the name)
    offset: int


@attrs.frozen
class Call:
    formatter: str
    args: tuple[Arg, ...]
    offset: int


@attrs.frozen
class Placeholder:
    name: str
    calls: tuple[Call, ...]
    offset: int


@attrs.frozen
class Template:
    """A parsed template: literal texts and placeholders, in order."""

    text: str
    parts: tuple[str | Placeholder, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the template reads (placeholders and formatter arguments)."""
        out: list[str] = []
        for p in self.parts:
            if isinstance(p, Placeholder):
                out.append(p.name)
                out += [a.name for c in p.calls for a in c.args if a.name is not None]
        return tuple(dict.fromkeys(out))


def parse_template(text: str) -> Template:
    """Parse ``text``; ``TemplateProblem`` (Q190) for an unclosed ``{``, a stray ``}`` or a bad placeholder."""
    parts: list[str | Placeholder] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in "{}" and text[i:i + 2] in ("{{", "}}"):
            buf.append(c)
            i += 2
            continue
        if c == "}":
            raise TemplateProblem("Q190", "a `}` that closes no placeholder", i, "write `}}` for a literal brace")
        if c != "{":
            buf.append(c)
            i += 1
            continue
        end = text.find("}", i)
        if end < 0:
            raise TemplateProblem("Q190", "a `{` that is never closed", i, "close the placeholder with `}`, "
                                  "or write `{{` for a literal brace")
        if buf:
            parts.append("".join(buf))
            buf = []
        parts.append(_placeholder(text[i + 1:end], i + 1))
        i = end + 1
    if buf:
        parts.append("".join(buf))
    return Template(text, tuple(parts))


def _placeholder(body: str, at: int) -> Placeholder:
    pieces = body.split("|")
    name = pieces[0].strip()
    if not _NAME.fullmatch(name):
        raise TemplateProblem("Q190", f"a placeholder must start with a name such as members.total, got {name!r}",
                              at, "write {name} or {name|format}")
    calls = []
    pos = at + len(pieces[0]) + 1
    for piece in pieces[1:]:
        fname, colon, rest = piece.partition(":")
        if not re.fullmatch(r"[a-z_]+", fname.strip(), re.ASCII):
            raise TemplateProblem("Q190", f"a formatter name is expected after `|`, got {piece!r}", pos)
        args = []
        if colon:
            apos = pos + len(fname) + 1
            for raw in rest.split(","):
                a = raw.strip()
                lit = _LITERAL.fullmatch(a)
                if lit:
                    args.append(Arg(None, lit[1], apos))
                elif _NAME.fullmatch(a) or re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", a):
                    args.append(Arg(a if _NAME.fullmatch(a) else None, a, apos))
                else:
                    raise TemplateProblem("Q190", f"a formatter argument is a name or a quoted text ('…'), "
                                                  f"got {a!r}", apos)
                apos += len(raw) + 1
        calls.append(Call(fname.strip(), tuple(args), pos))
        pos += len(piece) + 1
    return Placeholder(name, tuple(calls), at)


# ---------------------------------------------------------------------------------------------
# vocabulary: what the words of values come from (the facts schema's labels and phrasing)


class Vocabulary(Protocol):
    """Labels and phrasing a template reads: supplied by the facts schema (see ``_finding``)."""

    def label(self, path: str, lang: str) -> str: ...

    def value_label(self, path: str, value: str, lang: str) -> str: ...

    def region(self, code: str, lang: str) -> str: ...

    def nationality(self, code: str, lang: str) -> str: ...

    def zone(self, name: str, lang: str) -> str: ...

    def item_phrase(self, list_path: str) -> Mapping[str, Template] | None: ...


@attrs.frozen
class _Ctx:
    lang: str
    outcome: str
    values: Mapping[str, Any]
    vocab: Vocabulary
    prefix: str = ""  # inside an item phrase: the list path with [] (``honors[]``) for enum labels


# ---------------------------------------------------------------------------------------------
# formatting helpers (also used by the explainer for dates in its own sentences)

_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def _exact(x: Any) -> Fraction:
    return Fraction(Decimal(repr(x))) if isinstance(x, float) else Fraction(x)


def _round(x: Fraction, decimals: int) -> Decimal:
    """``x`` rounded half up, exactly (no binary doubles)."""
    scaled = x * 10**decimals
    whole = math.floor(abs(scaled) + Fraction(1, 2))
    return (Decimal(whole if scaled >= 0 else -whole).scaleb(-decimals)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def pct_text(x: Any, decimals: int = 4) -> str:
    """A share (0.5) as a per cent figure without the sign (``50``), trailing zeros dropped."""
    s = format(_round(100 * _exact(x), decimals), "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _share(n: Any, total: Any, minimum: Any, outcome: str) -> str:
    """n / total in per cent with as few decimals as keep it on the side of ``minimum`` the rule's
    outcome says (49.6 is not shown as 50 when the rule failed against 50 %)."""
    share = 100 * _exact(n) / _exact(total)
    floor = 100 * _exact(minimum) if minimum is not None else None
    for d in range(0, 5):
        shown = _round(share, d)
        if floor is not None and (outcome == "failed" and shown >= floor or outcome == "passed" and shown < floor):
            continue
        return str(shown)
    return pct_text(share / 100, 6)


def date_text(value: Any, lang: str) -> str:
    """``2017-09-30`` (or the day of an ISO timestamp) as ``2017年9月30日`` / ``30 September 2017``."""
    d = value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else \
        dt.date.fromisoformat(str(value)[:10])
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def term_text(value: Any) -> str:
    """``2015-2016`` as ``2015—2016`` (the dash of the programme's documents)."""
    return str(value).replace("-", "—", 1)


def moment_text(as_of: str | None, vocab: Vocabulary, lang: str) -> tuple[str, str | None] | None:
    """An evaluation moment (a stamp's or why-not's ``as_of``) in words: ``(day, zone name)`` for the end
    of a Beijing day (``--as-of 2017-06-01`` is 2017-06-01T23:59:59+08:00), else ``(instant_text, None)``;
    None without a moment or for one that is not an ISO timestamp. Callers join day and zone their way."""
    if not as_of:
        return None
    try:
        t = dt.datetime.fromisoformat(as_of)
    except ValueError:
        return None
    if (t.hour, t.minute, t.second) == (23, 59, 59) and t.utcoffset() == dt.timedelta(hours=8):
        return date_text(t.date(), lang), vocab.zone("Asia/Shanghai", lang)
    return instant_text(as_of, vocab, lang), None


def instant_text(value: Any, vocab: Vocabulary, lang: str) -> str:
    """An ISO timestamp as ``北京时间2017年6月20日10:15`` / ``20 June 2017, 10:15 Beijing time``."""
    t = dt.datetime.fromisoformat(str(value))
    day = date_text(t.date(), lang)
    clock = f"{t.hour}:{t.minute:02d}"
    off = t.utcoffset()
    zone = ""
    if off == dt.timedelta(hours=8):
        zone = vocab.zone("Asia/Shanghai", lang)
    elif off is not None:
        minutes = int(off.total_seconds() // 60)
        zone = f"UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    if lang == "zh":
        return f"{zone}{day}{clock}"
    return f"{day}, {clock}" + (f" {zone}" if zone else "")


def _window(value: Mapping[str, Any], vocab: Vocabulary, lang: str) -> str:
    si, ei = value.get("start_inclusive", True), value.get("end_inclusive", True)
    start, end = date_text(value["start"], lang), date_text(value["end"], lang)
    zone = vocab.zone(str(value.get("time_zone") or "Asia/Shanghai"), lang)
    if lang == "zh":
        incl = "含首尾两日" if si and ei else "含首日、不含末日" if si else "不含首日、含末日" if ei else "不含首尾两日"
        return f"{start}至{end}（{incl}，{zone}）"
    incl = ("both days included" if si and ei else "first day included, last day excluded" if si else
            "first day excluded, last day included" if ei else "both days excluded")
    return f"{start} to {end} ({incl}, {zone})"


def number_text(v: Any) -> str:
    """A JSON number as written for a reader (``2.0`` as ``2``); TypeError for anything else."""
    if isinstance(v, bool):
        raise TypeError("a truth value is not a number")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, int | float | Decimal):
        return str(v)
    raise TypeError(f"not a number: {v!r}")


# ---------------------------------------------------------------------------------------------
# formatters: name -> (accepted kinds, (fewest, most) arguments, function)

_Fn = Callable[[Any, Sequence[Any], _Ctx, str], Any]


def _f_num(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return number_text(v)


def _f_pct(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return pct_text(v) + "%"


def _f_share(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    total = args[0]
    if not total:
        raise Missing("a share of nothing")
    return _share(v, total, args[1] if len(args) > 1 else None, c.outcome) + "%"


def _f_date(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return date_text(v, c.lang)


def _f_datetime(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return instant_text(v, c.vocab, c.lang)


def _f_window(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return _window(v, c.vocab, c.lang)


def _f_term(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return term_text(v)


def _f_enum(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return c.vocab.value_label(path, str(v), c.lang)


def _f_region(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return c.vocab.region(str(v), c.lang)


def _f_nationality(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return c.vocab.nationality(str(v), c.lang)


def _f_count(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return str(len(v))


def _f_where(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> list[Any]:
    field, want = str(args[0]), args[1]
    return [x for x in v if isinstance(x, dict) and _dig(x, field) == want]


def _f_only(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> list[Any]:
    """The items whose reference (``filings[1]``) is among ``args[0]`` (a derived count's ``counted``)."""
    refs = set(args[0] or ())
    base = path.removesuffix("[]")
    return [x for i, x in enumerate(v) if f"{base}[{i}]" in refs]


def _f_items(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    if not v:
        if args:
            return str(args[0])
        return "无" if c.lang == "zh" else "none"
    phrase = c.vocab.item_phrase(path)
    if phrase is None:
        raise Missing(f"no phrasing for the items of {path}")
    inner = attrs.evolve(c, prefix=path)
    sep = "；" if c.lang == "zh" else "; "
    return sep.join(_render(phrase[c.lang], _flat(x), inner) for x in v)


def _f_yesno(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    if not isinstance(v, bool):
        raise TypeError("not a truth value")
    if args:
        return str(args[0] if v else args[1])
    return ("是" if v else "否") if c.lang == "zh" else ("yes" if v else "no")


def _f_times(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    """``v`` × ``args[0]``, exactly (12 × 10 is 120, 7 × 0.5 is 3.5)."""
    product = _exact(v) * _exact(args[0])
    return pct_text(product / 100, 6)


def _f_quoted(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return f"“{v}”" if c.lang == "zh" else f" “{v}”"


def _f_paren(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> str:
    return f"（{v}）" if c.lang == "zh" else f" ({v})"


def _f_else(v: Any, args: Sequence[Any], c: _Ctx, path: str) -> Any:
    return v  # the value is there: unchanged (its argument is used only when the value is missing)


def _dig(item: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = item
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _flat(item: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(item, Mapping):
        for k, v in item.items():
            out[prefix + k] = v
            if isinstance(v, Mapping):
                out.update(_flat(v, prefix + k + "."))
    return out


_SCALAR = ("number", "string", "bool", "date", "instant", "any", "item")
FORMATTERS: dict[str, tuple[tuple[str, ...], tuple[int, int], _Fn, str]] = {
    # name: (kinds it accepts, (fewest, most) arguments, function, kind it gives)
    "num": (("number", "any"), (0, 0), _f_num, "string"),
    "pct": (("number", "any"), (0, 0), _f_pct, "string"),
    "share": (("number", "any"), (1, 2), _f_share, "string"),
    "date": (("date", "instant", "any"), (0, 0), _f_date, "string"),
    "datetime": (("instant", "any"), (0, 0), _f_datetime, "string"),
    "window": (("window", "any"), (0, 0), _f_window, "string"),
    "term": (("string", "any"), (0, 0), _f_term, "string"),
    "enum": (("string", "any"), (0, 0), _f_enum, "string"),
    "region": (("string", "any"), (0, 0), _f_region, "string"),
    "nationality": (("string", "any"), (0, 0), _f_nationality, "string"),
    "count": (("list", "any"), (0, 0), _f_count, "string"),
    "where": (("list", "any"), (2, 2), _f_where, "list"),
    "only": (("list", "any"), (1, 1), _f_only, "list"),
    "items": (("list", "any"), (0, 1), _f_items, "string"),
    "yesno": (("bool", "any"), (0, 2), _f_yesno, "string"),
    "times": (("number", "any"), (1, 1), _f_times, "string"),
    "quoted": (_SCALAR, (0, 0), _f_quoted, "string"),
    "paren": (_SCALAR, (0, 0), _f_paren, "string"),
    # the text to show when the value is missing (a fact not given): `{title|quoted|else:''}`
    "else": (KINDS, (1, 1), _f_else, "string"),
}


def check_template(t: Template, scope: Mapping[str, str], *, suggest: Callable[[str, Sequence[str]], str | None],
                   hint: Callable[[str], str | None] = lambda name: None) -> None:
    """Check every name against ``scope`` (name → kind, see ``KINDS``) and every formatter against
    ``FORMATTERS``; ``TemplateProblem`` (Q191 unknown name with a did-you-mean, Q192 formatter)."""
    for p in t.parts:
        if not isinstance(p, Placeholder):
            continue
        names = [(p.name, p.offset)] + [(a.name, a.offset) for c in p.calls for a in c.args if a.name is not None]
        for name, at in names:
            if name not in scope:
                raise TemplateProblem("Q191", f"unknown name {name!r} in the template", at,
                                      hint(name) or suggest(name, list(scope)) or
                                      f"names here: {', '.join(sorted(scope)) or '(none)'}")
        kind = scope[p.name]
        for c in p.calls:
            spec = FORMATTERS.get(c.formatter)
            if spec is None:
                raise TemplateProblem("Q192", f"unknown formatter {c.formatter!r}", c.offset,
                                      suggest(c.formatter, list(FORMATTERS)) or
                                      f"formatters: {', '.join(sorted(FORMATTERS))}")
            accepts, (lo, hi), _, gives = spec
            if kind not in accepts and kind != "any":
                raise TemplateProblem("Q192", f"the formatter {c.formatter!r} does not apply to {p.name} "
                                              f"(a {kind} value)", c.offset,
                                      f"{c.formatter} applies to: {', '.join(k for k in accepts if k != 'any')}")
            if not lo <= len(c.args) <= hi:
                want = str(lo) if lo == hi else f"{lo} to {hi}"
                raise TemplateProblem("Q192", f"the formatter {c.formatter!r} takes {want} argument(s), "
                                              f"got {len(c.args)}", c.offset)
            kind = gives


def render(t: Template, values: Mapping[str, Any], *, lang: str, outcome: str, vocab: Vocabulary) -> str:
    """The template in ``lang`` over ``values`` (name → JSON value). ``Missing`` when a name it reads
    has no value or a value of another shape than the template expects."""
    return _render(t, values, _Ctx(lang, outcome, values, vocab))


def _render(t: Template, values: Mapping[str, Any], c: _Ctx) -> str:
    out: list[str] = []
    for p in t.parts:
        if isinstance(p, str):
            out.append(p)
            continue
        fallback = p.calls[-1].args[0].text if p.calls and p.calls[-1].formatter == "else" else None
        try:
            out.append(_placeholder_text(p, values, c))
        except Missing:
            if fallback is None:
                raise
            out.append(fallback)
    return "".join(out)


def _placeholder_text(p: Placeholder, values: Mapping[str, Any], c: _Ctx) -> str:
    if p.name not in values or values[p.name] is None:
        raise Missing(p.name)
    v: Any = values[p.name]
    path = f"{c.prefix}.{p.name}" if c.prefix else p.name
    if isinstance(v, list) and not c.prefix:
        path = p.name + "[]"
    try:
        for call in p.calls:
            args = [(values[a.name] if a.name in values else c.values.get(a.name)) if a.name is not None
                    else a.text for a in call.args]
            if any(a is None for a in args) and call.formatter != "only":
                raise Missing(call.formatter)
            v = FORMATTERS[call.formatter][2](v, args, c, path)
        return v if isinstance(v, str) else _default(v, c)
    except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as exc:
        raise Missing(f"{p.name}: {exc}") from exc


def _default(v: Any, c: _Ctx) -> str:
    """A value without a formatter: numbers and texts as they are; nothing else (no JSON ever shows)."""
    if isinstance(v, str):
        return v
    return number_text(v)
