"""qnwmh_rules: rules-as-code for the 青年文明号 (Youth Civilization Post) programme."""

from ._api import (
    Engine,
    FilingWindow,
    __version__,
    available_rulesets,
    evaluate,
    filing_window,
    load_ruleset,
    ruleset_path,
)
from ._explain import explain_html, explain_text
from ._replay import Replay, WhatIf, replay, what_if
from .exceptions import EvaluationError, FactsError, QnwmhError, RulesetError
from .facts import Facts, parse_facts
from .verdict import Citation, RuleOutcome, Stamp, Verdict

__all__ = [
    "Citation", "Engine", "EvaluationError", "Facts", "FactsError", "FilingWindow", "QnwmhError", "Replay",
    "RuleOutcome", "RulesetError", "Stamp", "Verdict", "WhatIf", "__version__", "available_rulesets", "evaluate",
    "explain_html", "explain_text", "filing_window", "load_ruleset", "parse_facts", "replay", "ruleset_path",
    "what_if",
]
