"""The ruleset model: frozen attrs value objects produced by ``_schema``.

Owns the shapes only (no parsing, no checking, no engine). Everything here compares
by value so that tests can write expected rulesets literally.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:  # _tree's nodes hold Windows of this module: the types only, to keep one direction
    from ._tree import RNode
    from .facts import Subject

__all__ = ["Text", "Source", "Citation", "Window", "Parameter", "Derivation", "Rule", "Ruleset", "ScoreSpec",
           "ScoreGroup", "Scoring", "CreationCriterion", "Finding"]


@attrs.frozen
class Text:
    """A bilingual text: every human-readable text of a ruleset is written in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``"zh"`` or ``"en"``; ValueError for another)."""
        if lang == "zh":
            return self.zh
        if lang == "en":
            return self.en
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")


@attrs.frozen
class Source:
    """A source document that clauses are cited from."""

    id: str
    title: Text
    reference: str | None = None
    date: dt.date | None = None
    note: Text | None = None


@attrs.frozen
class Citation:
    """The clause a rule cites: source id and title, clause number and its own text.

    The one citation type: read from a ruleset file (the title from its declared source) and
    shown as is in verdicts (``qnwmh_rules.Citation``).
    """

    source: str
    source_title: str
    clause: str
    text: str


@attrs.frozen
class Window:
    """A span of calendar days in ``time_zone`` with explicit boundary semantics.

    The one place its boundary arithmetic is written: every reader asks ``first_day``,
    ``last_day``, ``contains`` or ``position``. A window of a loaded ruleset holds at least one
    day (Q107), so ``first_day`` and ``last_day`` are always dates.
    """

    start: dt.date
    end: dt.date
    start_inclusive: bool
    end_inclusive: bool
    time_zone: str

    @property
    def day_count(self) -> int:
        """How many days count (0 or less for a window that holds no day; computed without dates)."""
        return (self.end - self.start).days + 1 - (not self.start_inclusive) - (not self.end_inclusive)

    @property
    def first_day(self) -> dt.date:
        """The first day that counts."""
        return self.start if self.start_inclusive else self.start + dt.timedelta(days=1)

    @property
    def last_day(self) -> dt.date:
        """The last day that counts."""
        return self.end if self.end_inclusive else self.end - dt.timedelta(days=1)

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` (a calendar day in ``time_zone``) counts."""
        return (day >= self.start if self.start_inclusive else day > self.start) and \
            (day <= self.end if self.end_inclusive else day < self.end)

    def position(self, day: dt.date) -> str:
        """``"before"``, ``"open"`` or ``"closed"`` for a calendar day in ``time_zone``."""
        return day_position(day, self.first_day, self.last_day)

    def to_json(self) -> dict[str, Any]:
        """The window as JSON (the shape of a window parameter in a ruleset file)."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "start_inclusive": self.start_inclusive, "end_inclusive": self.end_inclusive,
                "time_zone": self.time_zone}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Window:
        """The window ``to_json`` gave (as a verdict records a window parameter); KeyError or ValueError
        for anything else."""
        return cls(dt.date.fromisoformat(doc["start"]), dt.date.fromisoformat(doc["end"]),
                   bool(doc.get("start_inclusive", True)), bool(doc.get("end_inclusive", True)),
                   str(doc["time_zone"]))


def _checked(condition: RNode | None, owner: str) -> RNode:
    if condition is None:  # pragma: no cover - only a ruleset that skipped _check has none
        raise ValueError(f"{owner}: the condition has not been checked")
    return condition


def ruleset_key(term: str, ruleset_id: str, version: str) -> str:
    """``term/id@version``, e.g. ``2017-2018/guangdong@2.0.0``: the one name of a ruleset version, in
    ``layers``, ``releases.lock``, diffs and the audit log."""
    return f"{term}/{ruleset_id}@{version}"


def day_position(day: dt.date, first: dt.date | None, last: dt.date) -> str:
    """``"before"`` ``first`` (None: no first day), ``"open"`` up to ``last`` included, else ``"closed"``."""
    if first is not None and day < first:
        return "before"
    return "open" if day <= last else "closed"


def decided_on(last: dt.date) -> dt.date:
    """The day a rule that waits for ``last`` (the last day that counts) is decided: the day after."""
    return last + dt.timedelta(days=1)


@attrs.frozen
class Parameter:
    name: str
    value: Any  # int | float | str | bool | date | Window | tuple[str, ...]
    type: str  # number | string | bool | date | window | list
    source: str | None = None
    description: Text | None = None
    interpretation: Text | None = None
    placeholder: bool = False
    layer: str = ""  # id of the ruleset file that set the value


@attrs.frozen
class Derivation:
    """A derived fact ``derived.<name>``: ``function`` applied to ``of`` (at a date)."""

    name: str
    function: str  # age_in_full_years | count | count_distinct | earliest
    of: str
    at: str | None = None  # a parameter name (date) for age_in_full_years
    completes: str | None = None  # a parameter name (text): on_birthday | day_after_birthday
    where: str | None = None  # for count: a condition on each item (`x` names the item)
    where_condition: RNode | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class ScoreSpec:
    """How a rule scores: ``award`` / ``deduction`` / ``bonus`` points, or a ``gate``.

    ``points`` is written as a number or ``params.<name>``; after checking, ``value`` holds
    the exact decimal and ``param`` the parameter it came from (if any). ``per`` names a
    numeric derived fact that multiplies the points; ``cap`` bounds the item's points.
    """

    kind: str
    points: str | None = None
    group: str | None = None
    per: str | None = None
    cap: Decimal | None = None
    effect: str | None = None  # gates: zero | ineligible
    value: Decimal | None = None
    param: str | None = None


@attrs.frozen
class ScoreGroup:
    id: str
    title: Text
    cap: Decimal | None = None
    weight: Decimal = Decimal(1)


@attrs.frozen
class Scoring:
    """The score sheet of a ruleset: groups, bonus cap and the declared rounding."""

    places: int
    rounding: str  # half_up | half_even | down
    groups: tuple[ScoreGroup, ...]
    bonus_cap: Decimal | None = None


@attrs.frozen
class CreationCriterion:
    """Which collective records count as creation collectives (创建集体), and the breakdown.

    ``when`` is a condition over one collective's facts; ``breakdown`` maps a count name
    (``previous_national``) to a condition over the facts of a collective that counts.
    """

    when: str
    citation: Citation
    interpretation: Text | None = None
    breakdown: tuple[tuple[str, str], ...] = ()
    condition: RNode | None = attrs.field(default=None, eq=False, repr=False)
    breakdown_conditions: tuple[tuple[str, RNode], ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def checked(self) -> RNode:
        """The resolved ``when`` of a checked criterion (that of a loaded ruleset is checked)."""
        return _checked(self.condition, "creation_collective")


@attrs.frozen
class Finding:
    """How a rule words its finding: templates (``Text`` of template texts, zh and en) for the
    requirement and for each outcome (``pending``: undetermined because its ``pending_if`` holds).
    The template language is ``_template``'s; names and formatters are checked at load (Q190–Q192).
    Wording, not meaning: findings are not part of the ruleset's content hash, but a released version's
    findings are locked too (``releases.lock``'s ``wording``, Q130)."""

    requirement: Text | None = None
    passed: Text | None = None
    failed: Text | None = None
    undetermined: Text | None = None
    pending: Text | None = None
    not_applicable: Text | None = None


@attrs.frozen
class Rule:
    id: str
    title: Text
    severity: str  # required | advisory
    citation: Citation
    when: str
    interpretation: Text | None = None
    layer: str = ""
    # While this condition holds, a rule that did not pass is undetermined, not failed
    # (e.g. the filing window is still open as of the evaluation).
    pending_if: str | None = None
    score: ScoreSpec | None = None
    # A window or date parameter: until its last day has passed (as of the evaluation), a rule
    # that did not pass is undetermined, not failed (``due: params.filing_window``).
    due: str | None = None
    # When the rule applies to a subject; where it definitely does not, it is not_applicable.
    applies_if: str | None = None
    # A pass is provisional too: while ``due`` (or ``pending_if``) holds, a rule whose condition
    # holds is undetermined, not passed (a share of a total that can still grow may still fall).
    provisional_pass: bool = False
    # Resolved condition trees (``_tree`` nodes, set by _check; None before); not part of the
    # identity of a rule.
    condition: RNode | None = attrs.field(default=None, eq=False, repr=False)
    pending_condition: RNode | None = attrs.field(default=None, eq=False, repr=False)  # pending_if or due
    pending_if_condition: RNode | None = attrs.field(default=None, eq=False, repr=False)  # pending_if alone
    reads: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    pending_params: tuple[str, ...] = ()  # parameters its pending_if reads (windows, deadlines)
    applies_condition: RNode | None = attrs.field(default=None, eq=False, repr=False)
    due_last_day: dt.date | None = attrs.field(default=None, eq=False, repr=False)  # from `due`
    due_opens: dt.date | None = attrs.field(default=None, eq=False, repr=False)  # first day, for windows
    # the templates of its finding (``finding:``), if it declares them
    finding: Finding | None = attrs.field(default=None, repr=False)

    @property
    def checked(self) -> RNode:
        """The resolved ``when`` of a checked rule (every rule of a loaded ruleset is checked)."""
        return _checked(self.condition, self.id)


@attrs.frozen
class Ruleset:
    id: str
    term: str
    version: str
    title: Text
    time_zone: str
    region: str | None
    sources: tuple[Source, ...]
    parameters: tuple[Parameter, ...]
    derived: tuple[Derivation, ...]
    rules: tuple[Rule, ...]
    layers: tuple[str, ...]  # ruleset ids from the base to this one
    path: str = attrs.field(default="", eq=False)
    sha256: str = ""
    subject: str = "collective"
    scoring: Scoring | None = None
    # What counts as a 创建集体 among a unit's collective records (unit assessments only).
    creation_collective: CreationCriterion | None = None
    # The facts schema the ruleset reads (``name@version``) and the subject it describes.
    facts_schema: str = ""
    facts: Subject | None = attrs.field(default=None, eq=False, repr=False)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def key(self) -> str:
        """``term/id@version``: this ruleset version's name (see ``ruleset_key``)."""
        return ruleset_key(self.term, self.id, self.version)

    def days_zone(self, name: str) -> str:
        """The time zone in which the days of date or window parameter ``name`` are read: a window's
        own ``time_zone``, else the ruleset's (KeyError for an unknown parameter)."""
        value = self.parameter(name).value
        return value.time_zone if isinstance(value, Window) else self.time_zone

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)
