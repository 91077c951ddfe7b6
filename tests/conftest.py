"""Shared fixtures and the fixed hypothesis profile used in CI."""

import copy
import functools
import json
import os
import platform
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import qnwmh_rules

settings.register_profile("ci", max_examples=150, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("deep", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# durable_rules imports on CPython 3.11 and 3.12 only. Tests that need it carry the `durable`
# marker, or take a `backend` parameter of "durable"; elsewhere they are skipped with the reason.
# In CI (CI set) on a Python where durable must import, a missing durable and any skipped test
# fail the run instead: nothing is skipped silently where the engine of record runs.
DURABLE_EXPECTED = sys.version_info < (3, 13)
DURABLE_WHY_NOT = qnwmh_rules._catalogue._durable_import_error()
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
# The backends this Python runs: both where durable imports, else the python backend only (3.13+).
# A test that compares or loops over backends uses these, never a literal "durable" (which would fail
# where durable does not import); ENGINE_OF_RECORD is the one backend="auto" picks here.
BACKENDS_HERE = ("durable", "python") if DURABLE_WHY_NOT is None else ("python",)
ENGINE_OF_RECORD = BACKENDS_HERE[0]


def _needs_durable(item):
    callspec = getattr(item, "callspec", None)
    return item.get_closest_marker("durable") is not None or \
        (callspec is not None and callspec.params.get("backend") == "durable")


def pytest_collection_modifyitems(config, items):
    if DURABLE_WHY_NOT is None:
        return
    if DURABLE_EXPECTED and IN_CI:
        raise pytest.UsageError(f"CI on Python {platform.python_version()}: durable_rules must import here, "
                                f"but: {DURABLE_WHY_NOT}")
    skip = pytest.mark.skip(reason=f"needs durable_rules, which does not import on Python "
                                   f"{platform.python_version()} ({DURABLE_WHY_NOT})")
    for item in items:
        if _needs_durable(item):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Where durable_rules does not import, a test that asks for it (BackendUnavailableError, in the
    test or a fixture) without carrying the marker is skipped with the reason too, not failed; where
    it imports this never applies (and CI fails on any skip there)."""
    outcome = yield
    report = outcome.get_result()
    if DURABLE_WHY_NOT is not None and call.excinfo is not None and \
            call.excinfo.errisinstance(qnwmh_rules.BackendUnavailableError):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0,
                           f"Skipped: needs durable_rules, which does not import on Python "
                           f"{platform.python_version()} ({DURABLE_WHY_NOT})")


_SKIPPED = []


def pytest_runtest_logreport(report):
    if report.skipped and IN_CI and DURABLE_WHY_NOT is None:
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _SKIPPED:
        session.config.get_terminal_writer().line(
            f"CI: {len(_SKIPPED)} test(s) skipped where durable_rules imports (no skip is allowed here): "
            + ", ".join(_SKIPPED[:10]), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "rulesets" / "examples" / "collective-gd-0001.json"


@functools.cache
def engine_pair(path):
    """The durable and the python engine of a ruleset file, built on first use (never at import, so
    a broken ruleset fails the tests that use it, not the collection) and kept for the session."""
    return qnwmh_rules.load_ruleset(path), qnwmh_rules.load_ruleset(path, backend="python")


@pytest.fixture(scope="session")
def national():
    return qnwmh_rules.load_ruleset(term="2017-2018")


@pytest.fixture(scope="session")
def guangdong():
    return qnwmh_rules.load_ruleset(term="2017-2018", region="guangdong")


@pytest.fixture
def good_facts():
    """A collective that meets every 2017-2018 rule, Guangdong overlay included."""
    return copy.deepcopy(json.loads(EXAMPLE.read_text(encoding="utf-8")))


@pytest.fixture
def unit_facts():
    """The example management unit (rulesets/examples/unit-gd.json): every duty done, every share reached."""
    return copy.deepcopy(json.loads((EXAMPLE.parent / "unit-gd.json").read_text(encoding="utf-8")))


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
