"""The durable_rules adapter: the only module that imports durable.

Guards the measured hazards of durable-rules 2.0.28 (ARCHITECTURE.md):
1. global state      -> a private Host; ruleset names carry id, version and content hash
2. timer threads     -> the Host subclass never starts its dispatcher timers
3. case isolation    -> one fixed sid, one case at a time under a lock, delete_state in finally
4. swallowed errors  -> actions record errors themselves; we raise EvaluationError after
5. no match / crash  -> an always-firing sentinel rule, so every case fires and can be deleted
6. duplicates        -> fired rule ids are collected in a set
9. dict mutation     -> register a deep copy; use assert_fact (post fires one rule only)
Type hazards (8) are handled before we get here: ``facts`` type-checks every value.
Must not know rules' meaning, verdicts or explanations: it answers "which rule ids fired".
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Iterable
from typing import Any

from durable import engine as _durable

from ._compile import MARKER, CompiledRule
from .exceptions import EvaluationError

__all__ = ["DurableEngine", "SENTINEL", "refusals"]

SENTINEL = "__sentinel__"
_SID = "0"


class _QuietHost(_durable.Host):  # type: ignore[misc]  # durable ships no type information
    """A Host that never starts the background dispatch/timer threads (hazard 2)."""

    def _run(self) -> None:  # noqa: D401 - overriding durable's private starter on purpose
        return None


class DurableEngine:
    """One compiled ruleset registered on its own private durable_rules Host."""

    def __init__(self, name: str, rules: Iterable[CompiledRule]) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._fired: set[str] = set()
        self._errors: list[BaseException] = []
        self._invoked = False
        definition: dict[str, Any] = {}
        for rule in rules:
            definition[rule.id] = {"all": [{"m": {"$and": [rule.condition, dict(MARKER)]}}],
                                   "run": self._action(rule.id)}
        definition[SENTINEL] = {"all": [{"m": dict(MARKER)}], "run": self._action(SENTINEL)}
        self._definition = definition
        self._host = self._new_host()

    def _new_host(self) -> Any:
        host = _QuietHost()
        try:
            # durable deletes the "run" keys from what it is given (hazard 9): give it a copy
            # whose callables are the same objects.
            host.register_rulesets({self.name: {k: dict(v, all=copy.deepcopy(v["all"]))
                                                for k, v in self._definition.items()}})
        except Exception as exc:  # the C side refused the JSON: a compiler defect
            raise EvaluationError(f"durable_rules refused the compiled ruleset {self.name}: {exc}") from exc
        return host

    def _record(self, rule_id: str) -> None:
        self._fired.add(rule_id)

    def _action(self, rule_id: str) -> Any:
        def action(c: Any) -> None:
            # Only record the id (hazard 9: long actions silently drop the rest of a case).
            self._invoked = True
            try:
                self._record(rule_id)
            except BaseException as exc:  # recorded here, raised by fire() (hazard 4)
                self._errors.append(exc)
        return action

    def fire(self, document: dict[str, Any]) -> frozenset[str]:
        """Assert one case's document; return the ids of the rules whose condition matched."""
        doc = dict(document, sid=_SID, id="case")
        with self._lock:
            self._fired = set()
            self._errors = []
            self._invoked = False
            try:
                self._host.assert_fact(self.name, doc)
            except _durable.MessageNotHandledException:
                pass  # nothing matched: a normal answer (the sentinel makes it rare)
            except BaseException as exc:
                self._errors.append(exc)
            finally:
                # Our actions catch their own errors (hazard 4), so durable's state never
                # holds an exception of ours and need not be read back.
                cleared = False
                if self._invoked:
                    try:
                        self._host.delete_state(self.name, _SID)
                        cleared = True
                    except Exception as exc:
                        self._errors.append(EvaluationError(f"durable_rules could not clear the case: {exc}"))
                else:
                    # hazard 5: deleting a state where nothing fired can crash.
                    self._errors.append(EvaluationError("the sentinel rule did not fire; the engine state "
                                                        "could not be cleared safely"))
                if not cleared:
                    # A state that survived would leak into the next case: start a fresh Host.
                    self._host = self._new_host()
            fired, errors = frozenset(self._fired), list(self._errors)
        for err in errors:
            if isinstance(err, (KeyboardInterrupt, SystemExit)):
                raise err
        if errors:
            first = errors[0]
            if isinstance(first, EvaluationError):
                raise first
            raise EvaluationError(f"durable_rules failed on this case: {first!r}") from first
        return fired - {SENTINEL}


def refusals(rules: Iterable[CompiledRule]) -> list[tuple[str | None, str]]:
    """What durable_rules refuses to register: ``(rule id or None, its message)``, empty if it takes all.

    The rule id is that of the ruleset's rule (``CompiledRule.rule``), whichever of its parts was refused.

    Each rule that is refused on its own is named; a refusal that only the whole set causes is
    reported with ``None``. Used at load time (by both backends) so that a limit of the engine
    is a RulesetError of the file, never an EvaluationError at the first case.
    """
    rules = tuple(rules)

    def attempt(subset: Iterable[CompiledRule]) -> str | None:
        definition: dict[str, Any] = {r.id: {"all": [{"m": {"$and": [copy.deepcopy(r.condition), dict(MARKER)]}}],
                                             "run": _noop} for r in subset}
        definition[SENTINEL] = {"all": [{"m": dict(MARKER)}], "run": _noop}
        try:
            _probe_host().register_rulesets({f"probe{next(_PROBES)}": definition})
        except Exception as exc:  # durable's C side refused the JSON
            return str(exc)
        return None

    problem = attempt(rules)
    if problem is None:
        return []
    named: list[tuple[str | None, str]] = [(r.rule, p) for r in rules if (p := attempt((r,))) is not None]
    return named or [(None, problem)]


def _noop(c: Any) -> None:  # pragma: no cover - never fired: probes are only registered
    return None


_PROBES = itertools.count()
_PROBE_HOST: list[Any] = []


def _probe_host() -> Any:
    """One quiet Host for every probe of the process (a dropped Host is never freed, hazard 16)."""
    if not _PROBE_HOST:
        _PROBE_HOST.append(_QuietHost())
    return _PROBE_HOST[0]
