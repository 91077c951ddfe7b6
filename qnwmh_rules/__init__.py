"""qnwmh_rules: rules-as-code for the 青年文明号 (Youth Civilization Post) programme."""

from ._api import (
    Engine,
    FilingWindow,
    __version__,
    available_rulesets,
    count_creation_collectives,
    evaluate,
    filing_window,
    load_ruleset,
    ruleset_path,
)
from ._audit import AuditEntry, AuditLog, AuditLogError
from ._explain import explain_html, explain_text
from ._replay import Replay, WhatIf, replay, what_if
from ._whynot import WhyNot, why_not
from .exceptions import BackendUnavailableError, EvaluationError, FactsError, QnwmhError, RulesetError
from .facts import Facts, parse_facts
from .verdict import Citation, RuleOutcome, ScoreSheet, Stamp, Verdict

__all__ = [
    "available_rulesets", "Citation", "count_creation_collectives", "Engine", "evaluate", "EvaluationError",
    "explain_html", "explain_text", "Facts", "FactsError", "filing_window", "FilingWindow", "load_ruleset",
    "parse_facts", "QnwmhError", "Replay", "replay", "RuleOutcome", "ruleset_path", "RulesetError", "Stamp",
    "Verdict", "what_if", "WhatIf", "__version__", "AuditEntry", "AuditLog", "AuditLogError", "WhyNot", "why_not",
    "BackendUnavailableError",
    "ScoreSheet",
]
