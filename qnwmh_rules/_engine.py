"""The durable_rules adapter: the only module that imports durable.

Guards the measured hazards of durable-rules 2.0.28 (ARCHITECTURE.md):
1. global state      -> a private Host; ruleset names carry id, version and content hash
2. timer threads     -> the Host subclass never starts its dispatcher timers
3. case isolation    -> one fixed sid, one case at a time under a lock; the case's fact (or, for
                        fire_many, its facts w0, w1, …, each result told to its fact by its id)
                        is retracted after it (which also drops any result still pending), and
                        a case that could not be retracted gets a fresh Host
4. swallowed errors  -> a case's results are read by driving durable's C module directly
                        (assert_fact, start_action_for_state, complete_and_start_action,
                        retract_fact): no Python action of durable's runs, and every error of
                        the C calls is raised as an EvaluationError
5. no match / crash  -> an always-firing sentinel rule, so every case fires and can be cleared;
                        a case on which nothing fired (for fire_many: a fact whose sentinel did
                        not fire) is an error and gets a fresh Host
6. duplicates        -> fired rule ids are collected in a set
9. dict mutation     -> register a deep copy; use assert_fact (post fires one rule only); no
                        Python action runs in a case, so none can run past durable's lease
16. never freed      -> a replaced Host's rulesets are deleted in C at once, and an engine's
                        when the engine is dropped (its actions hold no reference to it)
11. cost             -> only the paths the compiled conditions read are encoded and sent (read_paths,
                        project, _Plan); a count's `where` asks about every item of a list at once
18. warnings         -> durable's one deprecated call (3.12: utcfromtimestamp, a DeprecationWarning
                        on every firing) is replaced in durable's module by the same arithmetic
                        without it; the process-wide warning filters are never touched
19. fork             -> a child forked while another thread was inside a case inherits a taken
                        lock and that case's state: each live engine gets a new lock, and a new
                        Host if a case was under way (os.register_at_fork)
Type hazards (8) are handled before we get here: ``facts`` type-checks every value.
Must not know rules' meaning, verdicts or explanations: it answers "which rule ids fired".
"""

from __future__ import annotations

import copy
import datetime
import itertools
import json
import os
import re
import threading
import weakref
from collections.abc import Iterable
from typing import Any

import durable_rules_engine as _c
from durable import engine as _durable

from ._compile import (
    MARKER,
    WHERE_LIST,
    ZERO,
    CompiledRule,
    Part,
    encode_facts,
    encode_instant,
    encode_item,
    encode_value,
    nest_values,
)
from .exceptions import EvaluationError

__all__ = ["DurableEngine", "SENTINEL", "read_paths", "project", "refusals", "where_predicates"]

SENTINEL = "__sentinel__"
_SID = "0"
_CASE_ID = "case"
_RETRACT = json.dumps({"sid": _SID, "id": _CASE_ID})  # durable finds the fact to retract by sid and id
MANY = 64  # facts asserted together by fire_many
_OK, _NOT_HANDLED = 0, 1  # durable's result codes of assert_fact (rules.h: RULES_OK, ERR_EVENT_NOT_HANDLED)


class _QuietHost(_durable.Host):  # type: ignore[misc]  # durable ships no type information
    """A Host that never starts the background dispatch/timer threads (hazard 2)."""

    def _run(self) -> None:  # noqa: D401 - overriding durable's private starter on purpose
        return None


_EPOCH = datetime.datetime(1970, 1, 1)  # what durable's datetime.datetime.utcfromtimestamp(0) returns


def _unix_now() -> float:
    """durable's ``_unix_now`` (read on every firing) with the same value, without the call that
    CPython 3.12 deprecates (hazard 18): a DeprecationWarning on every verdict, an EvaluationError
    under ``-W error``. Silencing it with ``warnings.catch_warnings`` instead is not safe in a
    threaded service: the filter list is process-wide, so another thread's filters set meanwhile
    were lost or leaked for good (and the warning became an error)."""
    return (datetime.datetime.now() - _EPOCH).total_seconds()


if hasattr(_durable, "_unix_now"):  # durable-rules 2.0.28; only durable's own module is changed
    _durable._unix_now = _unix_now


def free_host(host: Any) -> None:
    """Delete the C side of every ruleset registered on ``host`` (hazard 16); idempotent.

    durable's Python layer has no way to do this: ``Ruleset`` objects are never deleted in C,
    so every Host ever made keeps its node, string and state pools for the life of the process.
    The handle is zeroed afterwards, so a stray use of the Ruleset fails (invalid handle)
    instead of reaching a ruleset that later reuses the number.
    """
    for ruleset in getattr(host, "_ruleset_list", ()):
        handle = getattr(ruleset, "_handle", 0)
        if handle:
            ruleset._handle = 0
            try:
                _c.delete_ruleset(handle)
            except Exception:  # pragma: no cover - only if the handle was already invalid
                pass


class _Case:
    """What the actions of one engine write during a case. The actions reference this object,
    never the engine, so an engine that is dropped is freed at once (and its Host with it)."""

    __slots__ = ("fired", "errors", "invoked")

    def __init__(self) -> None:
        self.fired: set[str] = set()
        self.errors: list[BaseException] = []
        self.invoked = False

    def record(self, rule_id: str) -> None:
        self.fired.add(rule_id)

    def reset(self) -> None:
        self.fired = set()
        self.errors = []
        self.invoked = False


class _HostBox:
    """The engine's current Host; frees its C rulesets when replaced or when the engine goes."""

    __slots__ = ("host",)

    def __init__(self) -> None:
        self.host: Any = None

    def replace(self, host: Any) -> None:
        old, self.host = self.host, host
        if old is not None:
            free_host(old)

    def free(self) -> None:
        self.replace(None)


class DurableEngine:
    """One compiled ruleset registered on its own private durable_rules Host.

    The Host's C memory (~0.3 MB for the shipped rulesets) is freed when the Host is replaced
    after a case that could not be cleared, and when the engine is garbage (``close()`` frees
    it at once; the engine cannot fire afterwards).
    """

    def __init__(self, name: str, rules: Iterable[CompiledRule], *, project: bool = True) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._case = _Case()
        rules = tuple(rules)
        # Only what the conditions read is sent to durable (its JSON encode and decode is most of
        # its cost); None sends the whole document.
        self.projection = read_paths([r.condition for r in rules]) if project else None
        self._plan = None if self.projection is None else _Plan(self.projection)
        definition: dict[str, Any] = {}
        for rule in rules:
            definition[rule.id] = {"all": [{"m": {"$and": [rule.condition, dict(MARKER)]}}],
                                   "run": _action(self._case, rule.id)}
        definition[SENTINEL] = {"all": [{"m": dict(MARKER)}], "run": _action(self._case, SENTINEL)}
        self._definition = definition
        self._names = frozenset(definition)
        # no name needs a JSON escape: the raw text between the quotes of a result is its name
        self._plain = all('"' not in n and "\\" not in n and n.isprintable() for n in self._names)
        self._box = _HostBox()
        self._box.replace(self._new_host())
        self._finalizer = weakref.finalize(self, self._box.free)
        _LIVE.add(self)

    def _after_fork_in_child(self) -> None:
        """In a forked child: the thread that held the lock at the fork does not exist here, so take
        a new lock; if it was inside a case, its state may be in the Host: start a fresh one."""
        mid_case = self._lock.locked()
        self._lock = threading.Lock()
        if mid_case and self._box.host is not None:
            self._case.reset()
            try:
                self._box.replace(self._new_host())
            except BaseException:  # noqa: BLE001 - never answer from a Host that may hold a case
                self._box.free()
                raise

    @property
    def _host(self) -> Any:
        return self._box.host

    def close(self) -> None:
        """Free the engine's durable_rules memory now (otherwise done when it is garbage)."""
        with self._lock:
            self._finalizer()

    def _new_host(self) -> Any:
        host = _QuietHost()
        try:
            # durable deletes the "run" keys from what it is given (hazard 9): give it a copy
            # whose callables are the same objects.
            host.register_rulesets({self.name: {k: dict(v, all=copy.deepcopy(v["all"]))
                                                for k, v in self._definition.items()}})
        except Exception as exc:  # the C side refused the JSON: a compiler defect
            free_host(host)
            raise EvaluationError(f"durable_rules refused the compiled ruleset {self.name}: {exc}") from exc
        return host

    def _rescue(self, case: _Case) -> None:
        """Before a Host is dropped, free the state a failed case may have left in it.

        Deleting a ruleset frees its state table but not what each live state allocated (its
        message and frame pools, ~90 KB); deleting a state on which nothing fired may crash
        (hazard 5). So assert the bare marker into the same sid, which fires the sentinel,
        and then delete the state. If that fails too, the Host is dropped all the same.
        """
        case.reset()
        try:
            self._host.assert_fact(self.name, dict(MARKER, sid=_SID, id="rescue"))
            if case.invoked:
                self._host.delete_state(self.name, _SID)
        except Exception:  # noqa: S110 - best effort: the Host is replaced either way
            pass
        case.reset()

    def fire_case(self, facts: Any, derived: dict[str, Any], tz: str, as_of: Any = None) -> frozenset[str]:
        """``fire(encode_facts(facts, derived, tz, as_of))``, without building the whole document:
        only the paths of ``self.projection`` are encoded (``facts`` is a ``Facts``, ``as_of`` an
        aware datetime or None; see ``_compile.encode_facts``)."""
        if self._plan is None:
            return self.fire(encode_facts(facts, derived, tz, as_of))
        return self._fire_text(self._plan.text(facts, derived, tz, as_of))

    def fire(self, document: dict[str, Any]) -> frozenset[str]:
        """Assert one case's document; return the ids of the rules whose condition matched.

        ``document`` is what ``_compile.encode_facts`` makes; it is not modified. Only the paths
        in ``self.projection`` reach durable (plus the marker, which makes the sentinel fire,
        and durable's own ``sid`` and ``id``).

        The case is run on durable's C module directly: assert the fact, take each matched
        rule's result in turn (its name is all we read), then retract the fact, which clears
        the case without rebuilding the state (hazard 3). durable's Python layer would build a
        closure, read the clock twice, decode the fact and encode the state per fired rule."""
        doc = dict(document) if self.projection is None else project(document, self.projection)
        doc.update(sid=_SID, id=_CASE_ID)
        return self._fire_text(json.dumps(doc, ensure_ascii=False))

    def _fire_text(self, text: str) -> frozenset[str]:
        """``fire`` of a document already encoded as JSON text (with durable's ``sid`` and ``id``):
        ``_run(text, 1)[0]`` with only what one case needs (the same C calls, checks and clean-up)."""
        with self._lock:
            host = self._box.host
            if host is None:
                raise EvaluationError(f"the durable engine {self.name} was closed")
            fired: set[str] = set()
            sentinels = 0
            error: BaseException | None = None
            leased = None  # (handle, state) while durable holds an action of this case started
            try:
                handle = host._ruleset_directory[self.name]._handle  # Host.get_ruleset of a registered name
                code, state = _c.assert_fact(handle, text)
                if code != _OK:  # hazard 5: not even the sentinel matched (or durable deferred the fact)
                    raise EvaluationError("the sentinel rule did not fire; the engine state could not be "
                                          f"cleared safely (durable_rules result {code})")
                started = _c.start_action_for_state(handle, state)
                results = started[1] if started else None
                leased = (handle, state) if results else None
                names, plain = self._names, self._plain
                while results:
                    end = results.find('"', 2)
                    name = results[2:end]
                    if not (plain and name in names and results.startswith('":', end) and results.startswith('{"')):
                        name = self._fired_name(results)
                    if name == SENTINEL:
                        sentinels += 1
                    else:
                        fired.add(name)
                    results = _c.complete_and_start_action(handle, state)
                leased = None
                if sentinels != 1:
                    raise EvaluationError("the sentinel rule did not fire; the engine state could not be "
                                          "cleared safely")
                _c.retract_fact(handle, _RETRACT)
            except BaseException as exc:  # raised below, after the Host is made safe again
                error = exc
                if leased is not None:  # give the action back, as durable's own layer does on an error:
                    try:  # a state whose action is still leased can be neither cleared nor freed
                        _c.abandon_action(*leased)
                    except Exception:  # noqa: S110 - best effort: the Host is replaced either way
                        pass
                # A case that could not be retracted would leak into the next case: start a fresh
                # Host, and free the old one's C memory (hazard 16).
                try:
                    self._rescue(self._case)
                finally:
                    self._box.replace(self._new_host())
        if error is None:
            return frozenset(fired)
        if isinstance(error, (KeyboardInterrupt, SystemExit, EvaluationError)):
            raise error
        raise EvaluationError(f"durable_rules failed on this case: {error!r}") from error

    def fire_many(self, documents: Iterable[dict[str, Any]]) -> list[frozenset[str]]:
        """``[fire(d) for d in documents]``, asking durable about up to ``MANY`` documents at once:
        they are asserted together as facts of the one state (ids ``w0``, ``w1``, …), each fired
        rule's result is told to its fact by the fact's id, and they are all retracted after.
        Every fact must fire the sentinel (hazard 5), or the Host is replaced, as in ``fire``."""
        docs = list(documents)
        out: list[frozenset[str]] = []
        for start in range(0, len(docs), MANY):
            part = docs[start:start + MANY]
            if len(part) == 1:
                out.append(self.fire(part[0]))
                continue
            texts = []
            for n, document in enumerate(part):
                doc = dict(document) if self.projection is None else project(document, self.projection)
                doc.update(sid=_SID, id=f"w{n}")
                texts.append(json.dumps(doc, ensure_ascii=False))
            out.extend(self._run("[" + ", ".join(texts) + "]", len(part)))
        return out

    def _run(self, text: str, count: int) -> list[frozenset[str]]:
        """Assert ``text`` (one fact with id ``case``, or a JSON list of ``count`` facts with ids
        ``w0`` … in order), collect what fired for each fact, retract them; see ``fire``."""
        with self._lock:
            host = self._host
            if host is None:
                raise EvaluationError(f"the durable engine {self.name} was closed")
            case = self._case
            case.reset()
            fired: list[set[str]] = [set() for _ in range(count)]
            sentinels = 0
            cleared = False
            leased = None  # (handle, state) while durable holds an action of this case started
            try:
                handle = host.get_ruleset(self.name)._handle
                code, state = _c.assert_fact(handle, text) if count == 1 else _c.assert_facts(handle, text)
                if code != _OK:  # hazard 5: not even the sentinel matched (or durable deferred the fact)
                    raise EvaluationError("the sentinel rule did not fire; the engine state could not be "
                                          f"cleared safely (durable_rules result {code})")
                started = _c.start_action_for_state(handle, state)
                results = started[1] if started else None
                leased = (handle, state) if results else None
                while results:
                    case.invoked = True
                    name = self._fired_name(results)
                    case.record(name)
                    if name == SENTINEL:
                        sentinels += 1
                    fired[0 if count == 1 else _fact_number(results, count)].add(name)
                    results = _c.complete_and_start_action(handle, state)
                leased = None
                if any(SENTINEL not in f for f in fired) or sentinels != count:
                    raise EvaluationError("the sentinel rule did not fire; the engine state could not be "
                                          "cleared safely")
                if count == 1:
                    _c.retract_fact(handle, _RETRACT)
                else:
                    _c.retract_facts(handle, json.dumps([{"sid": _SID, "id": f"w{n}"} for n in range(count)]))
                cleared = True
            except BaseException as exc:  # raised below, after the Host is made safe again
                case.errors.append(exc)
                if leased is not None:  # give the action back, as durable's own layer does on an error:
                    try:  # a state whose action is still leased can be neither cleared nor freed
                        _c.abandon_action(*leased)
                    except Exception:  # noqa: S110 - best effort: the Host is replaced either way
                        pass
            errors = list(case.errors)
            if not cleared:
                # A case that could not be retracted would leak into the next case: start a fresh
                # Host, and free the old one's C memory (hazard 16).
                try:
                    self._rescue(case)
                finally:
                    self._box.replace(self._new_host())
        for err in errors:
            if isinstance(err, (KeyboardInterrupt, SystemExit)):
                raise err
        if errors:
            first = errors[0]
            if isinstance(first, EvaluationError):
                raise first
            raise EvaluationError(f"durable_rules failed on this case: {first!r}") from first
        return [frozenset(f - {SENTINEL}) for f in fired]

    def _fired_name(self, results: str) -> str:
        """The rule named by one result of durable's (``{"<rule id>": {"m": <fact>}}``), read
        without decoding the fact; a name that needs JSON escapes is decoded the long way (the raw
        text of an escaped name can spell another rule's name: ``r.a\\`` is written ``"r.a\\\\"``)."""
        end = results.find('"', 2)
        name = results[2:end]
        if results.startswith('{"') and "\\" not in name and name in self._names and results.startswith('":', end):
            return name
        decoded = json.loads(results)
        return str(next(iter(decoded)))


_FACT_ID = re.compile(r'"id": ?"w([0-9]+)"\}\}\}\Z')


def _fact_number(results: str, count: int) -> int:
    """Which of ``count`` facts (ids ``w0`` …) one result of durable's is about. Its fact is echoed
    with the id last, as it was sent; if durable ever wrote it otherwise, the result is decoded."""
    found = _FACT_ID.search(results)
    if found is not None:
        n = int(found.group(1))
    else:
        decoded = json.loads(results)
        (match,) = decoded.values()
        fact = next(iter(match.values()))
        ident = fact.get("id", "") if isinstance(fact, dict) else ""
        n = int(ident[1:]) if isinstance(ident, str) and ident[:1] == "w" and ident[1:].isdigit() else -1
    if not 0 <= n < count:
        raise EvaluationError(f"durable_rules answered about a fact it was not given: {results[:80]!r}")
    return n


_LIVE: weakref.WeakSet[DurableEngine] = weakref.WeakSet()


def _reset_engines_in_child() -> None:
    for engine in list(_LIVE):
        engine._after_fork_in_child()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_reset_engines_in_child)


def _action(case: _Case, rule_id: str) -> Any:
    def action(c: Any) -> None:
        # Only record the id (hazard 9: long actions silently drop the rest of a case).
        case.invoked = True
        try:
            case.record(rule_id)
        except BaseException as exc:  # recorded here, raised by fire() (hazard 4)
            case.errors.append(exc)
    return action


# --------------------------------------------------------------------------- projection
# A projection is a tree of the document's keys that some condition reads: ``True`` keeps the
# whole value; a dict keeps those keys of an object, or of every item of a list.
Projection = dict[str, Any]
_ITEM_OPS = ("$iany", "$iall")


class _Unknown(Exception):
    """A compiled condition this walker does not fully understand: send the whole document."""


def read_paths(conditions: Iterable[Any]) -> Projection | None:
    """The projection of every path the compiled ``conditions`` read (None: send everything).

    Keys of a comparison are paths (``{"$lt": {"members.total": 6}}``); ``{"$m": path}`` is a
    path on the right; ``{"$iany": {"honors": C}}`` reads the list and, inside ``C``, the item
    fields spelled ``$i.field``. The marker is always kept. Anything else it does not know
    makes it give up (None), which is always safe.
    """
    tree: Projection = {}

    def add(root: Projection, path: str) -> Projection:
        node = root
        parts = path.split(".")
        for i, part in enumerate(parts):
            if not part or part.startswith("$"):
                raise _Unknown(path)
            child = node.get(part)
            if child is True:
                return {}  # the whole value is kept already: nothing below needs adding
            if i == len(parts) - 1:
                node[part] = True
                return {}
            if child is None:
                child = node[part] = {}
            node = child
        return node  # pragma: no cover - the loop always returns

    def add_list(root: Projection, path: str) -> Projection:
        node = root
        parts = path.split(".")
        for part in parts[:-1]:
            if not part or part.startswith("$"):
                raise _Unknown(path)
            child = node.get(part)
            if child is True:
                return {}
            if child is None:
                child = node[part] = {}
            node = child
        last = parts[-1]
        if not last or last.startswith("$"):
            raise _Unknown(path)
        child = node.get(last)
        if child is True:
            return {}
        if child is None:
            child = node[last] = {}
        return child  # the item projection: fields read as $i.field

    def path_in(scope: tuple[Projection, Projection | None], path: str) -> None:
        top, item = scope
        if path.startswith("$i."):
            if item is None:
                raise _Unknown(path)
            add(item, path[3:])
        elif path.startswith("$"):
            raise _Unknown(path)
        else:
            add(top, path)
            if item is not None:  # a bare name inside an item test: keep it on both sides
                add(item, path)

    def walk(node: Any, scope: tuple[Projection, Projection | None]) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x, scope)
            return
        if not isinstance(node, dict):
            return  # a constant
        for key, value in node.items():
            if key in _ITEM_OPS:
                if not isinstance(value, dict):
                    raise _Unknown(key)
                for lst, inner in value.items():
                    if lst.startswith("$i."):  # a list inside an item
                        if scope[1] is None:
                            raise _Unknown(lst)
                        walk(inner, (scope[0], add_list(scope[1], lst[3:])))
                    else:
                        walk(inner, (scope[0], add_list(scope[0], lst)))
            elif key == "$m":
                if not isinstance(value, str):
                    raise _Unknown(key)
                path_in(scope, value)
            elif key.startswith("$") and not key.startswith("$i."):
                walk(value, scope)
            else:  # a path: a field of the document, or of the item ($i.field)
                path_in(scope, key)
                walk(value, scope)

    try:
        for condition in conditions:
            walk(condition, (tree, None))
    except _Unknown:
        return None
    for key in MARKER:
        tree[key] = True
    return tree


def project(doc: dict[str, Any], spec: Projection) -> dict[str, Any]:
    """A new document holding only what ``spec`` keeps of ``doc`` (``doc`` is not modified)."""
    out: dict[str, Any] = {}
    for key, sub in spec.items():
        if key not in doc:
            continue
        value = doc[key]
        if sub is True:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = project(value, sub)
        elif isinstance(value, list):
            out[key] = [project(v, sub) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


_SHAPES = 4096  # documents' key sets remembered per engine (then each new one is worked out per case)
_Put = tuple[tuple[str, int, str], ...]
_Shape = tuple[tuple[tuple[int, str], ...], _Put, _Put]
"""How one key set is encoded: the objects to make (``(index of the object holding it, key)``; object 0
is the document) and the values to put (``(flat path, index of the object, key)``), in order: first
those read from the facts' values (or the list item), then those read from the derived values."""


class _Plan:
    """Encodes a case straight into the projected JSON text: ``project(encode_facts(...), spec)``
    with durable's ``sid`` and ``id``, without building (and then trimming) the whole document.

    What a projection does with each flat path is decided once per path, and what it does with a
    whole set of paths (a case's facts and derived values, a list item's fields) once per set: a
    ``_Shape``, remembered by the tuple of the paths (cases of one ruleset come in few key sets),
    which says which objects to make and which values to put where. Only the values are read per case."""

    def __init__(self, spec: Projection) -> None:
        self.spec = spec
        # by id(scope): path -> _way; durable owns "id", and encode_facts drops "name" with it
        self._ways: dict[int, dict[str, tuple[str, ...] | None]] = {id(spec): {"id": (), "name": ()}}
        # by (id(scope), paths, derived paths); a list item's have no derived paths (None)
        self._shapes: dict[tuple[int, tuple[str, ...], tuple[str, ...] | None], _Shape] = {}
        counts = spec.get("_n")
        self._counts: Projection | bool = counts if counts is not None else False
        self._zero = ZERO in spec
        self._as_of = "as_of" in spec
        self._encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(doc, ensure_ascii=False)

    @staticmethod
    def _way(scope: Any, path: str) -> tuple[str, ...] | None:
        """None keeps the value at ``path``; otherwise it is dropped, but ``project`` keeps the
        objects above it that the projection names, emptied: their keys are returned."""
        node, parts = scope, path.split(".")
        for i, part in enumerate(parts):
            if node is True:
                return None
            if not isinstance(node, dict) or part not in node:
                return tuple(parts[:i])
            node = node[part]
        return None

    def _shape(self, scope: Any, keys: tuple[str, ...], more: tuple[str, ...] | None) -> _Shape:
        """The ``_Shape`` of the paths ``keys`` (then ``more``, whose value wins for a path in both)
        under ``scope``: ``_with_empty(nest_values(kept), emptied)`` of ``_way``, worked out once."""
        key = (id(scope), keys, more)
        shape = self._shapes.get(key)
        if shape is not None:
            return shape
        ways = self._ways.get(id(scope))
        if ways is None:
            ways = self._ways[id(scope)] = {}
        objects: list[tuple[int, str]] = []
        index: dict[tuple[str, ...], int] = {(): 0}

        def at(heads: tuple[str, ...]) -> int:
            found = index.get(heads)
            if found is None:
                holder = at(heads[:-1])
                objects.append((holder, heads[-1]))
                found = index[heads] = len(objects)
            return found

        puts: tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]] = ([], [])
        emptied: list[tuple[str, ...]] = []
        overridden = set(more or ())  # a derived value replaces the fact of the same path
        for source, paths in ((0, [k for k in keys if k not in overridden]), (1, more or ())):
            for path in paths:
                try:
                    w = ways[path]
                except KeyError:
                    w = ways[path] = self._way(scope, path)
                if w is None:
                    *heads, last = path.split(".")
                    puts[source].append((path, at(tuple(heads)), last))
                elif w:
                    emptied.append(w)
        for w in emptied:
            at(w)
        shape = (tuple(objects), tuple(puts[0]), tuple(puts[1]))
        if len(self._shapes) < _SHAPES:
            self._shapes[key] = shape
        return shape

    def _nested(self, scope: Any, values: dict[str, Any], tz: str, derived: dict[str, Any] | None = None
                ) -> dict[str, Any]:
        """``_with_empty(nest_values(kept of values and derived), emptied)`` of ``scope``."""
        objects, puts, more = self._shape(scope, tuple(values), None if derived is None else tuple(derived))
        doc: dict[str, Any] = {}
        made = [doc]
        for holder, key in objects:
            obj: dict[str, Any] = {}
            made.append(obj)
            made[holder][key] = obj
        plain = _PLAIN
        for path, at, key in puts:
            v = values[path]
            made[at][key] = v if type(v) in plain else encode_value(v, tz)
        if derived is not None:
            for path, at, key in more:
                v = derived[path]
                made[at][key] = v if type(v) in plain else encode_value(v, tz)
        return doc

    def text(self, facts: Any, derived: dict[str, Any], tz: str, as_of: Any) -> str:
        spec = self.spec
        doc = self._nested(spec, facts.values, tz, derived)
        for name, items in facts.lists.items():
            sub = spec.get(name)
            if sub is None:
                continue
            if sub is True:
                doc[name] = [nest_values(i, tz) for i in items]
            else:
                doc[name] = [self._nested(sub, i, tz) for i in items]
        counts = self._counts
        if counts is True:
            doc["_n"] = {name: len(items) for name, items in facts.lists.items()}
        elif counts:
            doc["_n"] = {name: len(items) for name, items in facts.lists.items() if name in counts}
        if self._zero:
            doc[ZERO] = 0
        if as_of is not None and self._as_of:
            doc["as_of"] = encode_instant(as_of)
        doc.update(MARKER)
        doc.update(sid=_SID, id=_CASE_ID)
        return self._encode(doc)


_PLAIN = (str, int, float, bool)  # values durable gets as they are (``encode_value`` passes them through)


def _with_empty(doc: dict[str, Any], empty: list[tuple[str, ...]]) -> dict[str, Any]:
    """``doc`` with an object (empty unless something was kept in it) at each key path of ``empty``."""
    for parts in empty:
        node = doc
        for part in parts:
            node = node.setdefault(part, {})
    return doc


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
        host = _QuietHost()
        try:
            host.register_rulesets({f"probe{next(_PROBES)}": definition})
        except Exception as exc:  # durable's C side refused the JSON
            return str(exc)
        finally:
            free_host(host)  # a probe keeps nothing (hazard 16)
        return None

    problem = attempt(rules)
    if problem is None:
        return []
    named: list[tuple[str | None, str]] = [(r.rule, p) for r in rules if (p := attempt((r,))) is not None]
    return named or [(None, problem)]


def _noop(c: Any) -> None:  # pragma: no cover - never fired: probes are only registered
    return None


_PROBES = itertools.count()


_ANSWERS = 4096  # distinct list items whose `where` answer a predicate remembers (then it asks durable each time)
_UNASKED = object()


def where_predicates(name: str, rules: Iterable[CompiledRule], tz: str) -> dict[str, Any]:
    """Each derived count's ``where`` decided by durable_rules, on one list item at a time or (its
    ``many`` attribute) on every item of a list in one assertion.

    ``rules`` are what ``_compile.compile_where`` makes; returns, by derivation name, a function
    of one list item (a ``Facts`` item: field path -> typed value) answering True (the HOLDS part
    fired), False (the FAILS part fired) or None (neither: a field ``where`` reads is missing).
    The rules get their own ``DurableEngine`` (named ``name``), freed with the functions.

    Each function remembers durable's answer for up to ``_ANSWERS`` distinct items: an item's
    document (``encode_item``, projected) depends only on which fields it has and the typed values of
    those the rules read, so an item equal in both (``_item_key``; types compared too: ``1`` is not
    ``True``) gets the answer durable gave the first (durable still decides every distinct item;
    items repeat: a filing's kind and status, not its time)."""
    rules = tuple(rules)
    if not rules:
        return {}
    engine = DurableEngine(name, rules)
    plan, spec = engine._plan, engine.projection
    scope = spec.get(WHERE_LIST) if spec is not None else None

    def predicate(holds: str, fails: str) -> Any:
        answers: dict[Any, bool | None] = {}

        def answer(fired: frozenset[str]) -> bool | None:
            return True if holds in fired else False if fails in fired else None

        def decide(item: dict[str, Any]) -> bool | None:
            return many((item,))[0]

        def many(items: Iterable[dict[str, Any]]) -> list[bool | None]:
            items = list(items)
            out: list[bool | None] = []
            asked: list[tuple[int, Any]] = []  # (position, key) of the items durable is asked about
            for n, item in enumerate(items):
                key = _item_key(plan, scope, item)
                found = answers.get(key, _UNASKED) if key is not None else _UNASKED
                if found is _UNASKED:
                    asked.append((n, key))
                    found = None
                out.append(found)  # type: ignore[arg-type]  # _UNASKED is replaced below
            if asked:
                fired = engine.fire_many([encode_item(items[n], tz) for n, _ in asked])
                for (n, key), f in zip(asked, fired, strict=True):
                    out[n] = found = answer(f)
                    if key is not None and len(answers) < _ANSWERS:
                        answers[key] = found
            return out

        decide.many = many  # type: ignore[attr-defined]  # every item of a list in one go (_derive)
        return decide

    return {r.rule: predicate(r.id, r.rule + Part.FAILS.value) for r in rules if r.part is Part.HOLDS}


def _item_key(plan: _Plan | None, scope: Any, item: dict[str, Any]) -> Any:
    """What decides the document ``encode_item`` sends durable for ``item``: its field paths (which
    ones are there decides the objects the projection keeps, emptied) and the type and value of each
    field the projection keeps; None (not to be remembered) if a value cannot be a key."""
    keys = tuple(item)
    if plan is not None and isinstance(scope, dict):
        read: Iterable[str] = (path for path, _, _ in plan._shape(scope, keys, None)[1])
    else:  # the whole item is sent
        read = keys
    try:
        key = (keys, tuple([(type(v), v) for v in (item[p] for p in read)]))
        hash(key)
    except TypeError:  # a list or an object among the values
        return None
    return key
