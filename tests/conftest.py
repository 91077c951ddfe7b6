"""Shared fixtures and the fixed hypothesis profile used in CI."""

import copy
import functools
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import qnwmh_rules

settings.register_profile("ci", max_examples=150, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("deep", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

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


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
