"""qnwmh_rules: rules-as-code for the 青年文明号 (Youth Civilization Post) programme."""

from ._api import Engine, __version__, available_rulesets, evaluate, load_ruleset, ruleset_path
from .exceptions import EvaluationError, FactsError, QnwmhError, RulesetError
from .facts import Facts, parse_facts
from .verdict import Citation, RuleOutcome, Stamp, Verdict

__all__ = [
    "Citation", "Engine", "EvaluationError", "Facts", "FactsError", "QnwmhError", "RuleOutcome",
    "RulesetError", "Stamp", "Verdict", "__version__", "available_rulesets", "evaluate", "load_ruleset",
    "parse_facts", "ruleset_path",
]
