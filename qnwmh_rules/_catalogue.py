"""The catalogue of rulesets and loading one: what sits below the facade (``_api``).

Owns: the library version, the backends a caller may ask for and which one a choice means
here (whether durable_rules imports), where the shipped rulesets are (``QNWMH_RULESETS``), which
terms, regions and industries they cover, the file for a term and subject, and reading a ruleset
file into a checked, compiled ruleset (durable's registration probe included). Must not know
``Engine``, facts or verdicts: ``_api`` builds engines from what ``load_checked`` returns, and the
modules above it (batch, cases, replay, audit) import what they need from here or from ``_api``
at module level.
"""

from __future__ import annotations

import functools
import json
import os
import platform
from pathlib import Path
from typing import Any

import attrs

from . import _check, _compile, _lock, _schema
from ._loader import file_kind
from ._model import Ruleset
from .exceptions import BackendUnavailableError, EvaluationError, FactsError, RulesetError, did_you_mean
from .facts import REGIONS

__all__ = ["__version__", "BACKENDS", "RULESETS_ENV", "available_rulesets", "available_unit_rulesets",
           "durable_available", "load_checked", "resolve_backend", "ruleset_path", "rulesets_dir"]

__version__ = "0.1.0"
BACKENDS = ("auto", "durable", "python")  # what callers may ask for; a stamp names durable or python


@functools.lru_cache(maxsize=1)
def _durable_import_error() -> str | None:
    """Why the durable backend cannot be used here, or None if it can (tried once per process)."""
    try:
        from . import _engine  # noqa: F401 - the one place durable is imported
    except Exception as exc:  # ImportError, or a C module that fails on this Python
        return f"{type(exc).__name__}: {exc}"
    return None


def durable_available() -> bool:
    """Whether durable_rules imports on this Python (it does on CPython 3.11 and 3.12, not on 3.13+)."""
    return _durable_import_error() is None


def resolve_backend(backend: str) -> str:
    """The engine a ``backend`` choice means here: ``"auto"`` is durable when it imports and
    the python backend otherwise; ``"durable"`` where durable_rules does not import raises
    ``BackendUnavailableError`` (one line, naming the cause and the way out)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "python":
        return backend
    why = _durable_import_error()
    if why is None:
        return "durable"
    if backend == "auto":
        return "python"
    raise BackendUnavailableError(
        f"the durable backend is not available on Python {platform.python_version()} ({why}); durable-rules "
        "is installed and imports only on CPython 3.11 and 3.12: use backend 'python' or 'auto'")


RULESETS_ENV = "QNWMH_RULESETS"


def rulesets_dir() -> Path:
    """Where the shipped rulesets are: the folder the environment variable ``QNWMH_RULESETS``
    names (a working copy a policy officer is editing; ``qnwmh-rules --rulesets DIR`` sets it),
    else inside the installed package, or the source checkout. A ``QNWMH_RULESETS`` that is not a
    folder is a RulesetError (Q010: the rulesets cannot be found; not the caller's facts)."""
    chosen = os.environ.get(RULESETS_ENV)
    if chosen:
        path = Path(chosen).resolve()
        if not path.is_dir():
            raise RulesetError("Q010", f"the rulesets folder given by --rulesets or {RULESETS_ENV} is not a folder",
                               path=chosen, suggestion="name the rulesets/ folder of a working copy, or unset "
                                                       f"{RULESETS_ENV} to use the installed rulesets")
        return path
    here = Path(__file__).resolve().parent
    for candidate in (here / "rulesets", here.parent / "rulesets"):
        if candidate.is_dir():
            return candidate
    raise EvaluationError(f"the shipped rulesets are not installed (looked in {here / 'rulesets'})")


def available_rulesets() -> dict[str, list[str]]:
    """``{term: [regions with an overlay]}`` of the shipped collective rulesets."""
    out: dict[str, list[str]] = {}
    for d in sorted(rulesets_dir().iterdir()):
        if d.is_dir() and (d / "national.yaml").exists():
            out[d.name] = sorted(p.stem for p in d.glob("*.yaml")
                                 if p.stem != "national" and not p.stem.startswith("unit")
                                 and file_kind(p) == "ruleset")
    return out


def available_unit_rulesets() -> dict[str, list[str]]:
    """``{term: [industries with an overlay]}`` of the shipped management-unit assessments."""
    return {d.name: sorted(p.stem.removeprefix("unit-") for p in d.glob("unit-*.yaml")
                           if file_kind(p) == "ruleset")
            for d in sorted(rulesets_dir().iterdir()) if d.is_dir() and (d / "unit.yaml").exists()}


def ruleset_path(term: str, region: str | None = None, *, subject: str = "collective",
                 industry: str | None = None) -> Path:
    """The shipped ruleset file for ``term`` and a subject: for collectives the national ruleset
    or ``region``'s overlay; for management units the assessment or ``industry``'s overlay."""
    if subject == "unit":
        units = available_unit_rulesets()
        if term not in units:
            raise FactsError("term", f"no management-unit assessment for term {term!r}; "
                                     f"available: {', '.join(units) or 'none'}")
        if industry is not None:
            if industry not in units[term]:
                raise FactsError("industry", f"no {term} assessment overlay for industry {industry!r}; "
                                             f"available: {', '.join(units[term]) or 'none'}")
            return rulesets_dir() / term / f"unit-{industry}.yaml"
        return rulesets_dir() / term / "unit.yaml"
    if subject != "collective":
        raise FactsError("subject", f"unknown subject {subject!r}; expected collective or unit")
    if industry is not None:
        raise FactsError("industry", "industry overlays exist for management units only (subject='unit')")
    terms = available_rulesets()
    if term not in terms:
        raise FactsError("term", f"no ruleset for term {term!r}; available: {', '.join(terms) or 'none'}")
    if region is not None:
        if region not in REGIONS:
            raise FactsError("region", f"unknown region {region!r}", suggestion=did_you_mean(region, sorted(REGIONS)))
        if region in terms[term]:
            return rulesets_dir() / term / f"{region}.yaml"
    return rulesets_dir() / term / "national.yaml"



def load_checked(path: str | Path, probe: bool) -> tuple[Ruleset, tuple[_compile.CompiledRule, ...]]:
    """The ruleset file at ``path`` read, checked, compiled and held to its release lock: the ruleset
    (its ``sha256`` set) and its compiled rules. Every ruleset is held to the static limits of
    durable_rules (Q306); ``probe`` also registers the compiled rules with durable_rules where it
    imports. Raises RulesetError listing every mistake in the file (``path:line:col: CODE message``)."""
    ruleset, where, errors = _schema.read_ruleset_file(path)
    ruleset, check_errors = _check.check_ruleset(ruleset, where)
    compiled, shape_errors = _compile.compile_ruleset(ruleset, where)
    errors += check_errors + shape_errors
    if not errors:  # what the engine of record cannot run is the file's mistake, on either backend
        errors += _compile.engine_limits(ruleset, compiled, where) or \
            (_refused_by_durable(ruleset, compiled, where) if probe else [])
    if errors:
        raise _schema.all_errors(errors)
    ruleset = attrs.evolve(ruleset, sha256=_schema.content_sha256(ruleset))
    loaded, kp = where["@version"]
    _lock.check_released(ruleset, (loaded.path, *loaded.pos(kp)), _schema.wording_sha256(ruleset))
    return ruleset, compiled


def _refused_by_durable(ruleset: Ruleset, compiled: tuple[_compile.CompiledRule, ...],
                        where: dict[str, Any]) -> list[RulesetError]:
    """Q306 for each rule durable_rules refuses to register (checked once per compiled content)."""
    found = _durable_refusals(json.dumps([[c.rule, c.part.value, c.condition] for c in compiled], sort_keys=True))
    errors = []
    for rule_id, message in found:
        base = rule_id or ruleset.rules[0].id
        loaded, kp = where[base]
        errors.append(loaded.error("Q306", f"{base}: durable_rules refuses this condition ({message})"
                                   if rule_id else f"durable_rules refuses the ruleset ({message})", kp,
                                   suggestion="simplify the condition or split the rule"))
    return errors


@functools.lru_cache(maxsize=256)
def _durable_refusals(compiled_json: str) -> tuple[tuple[str | None, str], ...]:
    try:
        from ._engine import refusals  # the one place durable is imported
    except ImportError:  # durable does not import here (CPython 3.13+): the static limits still hold
        return ()
    return tuple(refusals(_compile.CompiledRule(r, c, _compile.Part(p)) for r, p, c in json.loads(compiled_json)))
