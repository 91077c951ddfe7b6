"""The one error tree of qnwmh_rules.

- ``RulesetError``: the ruleset author's mistake; carries ``path:line:col``, a code
  and, where one exists, a suggestion.
- ``FactsError``: the caller's mistake in the facts (or arguments); names the field path.
- ``EvaluationError``: the engine failed while evaluating valid input.
  ``BackendUnavailableError`` (a kind of it): the backend asked for does not run on this Python.

``did_you_mean`` is the one way a suggestion names the closest of the accepted words.

This module knows nothing of YAML, durable_rules or the rules themselves.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["QnwmhError", "RulesetError", "FactsError", "EvaluationError", "BackendUnavailableError",
           "did_you_mean", "meant"]


def did_you_mean(word: object, choices: Iterable[object], *, cutoff: float = 0.6) -> str | None:
    """``"did you mean 'x'?"`` for the choice most like ``word`` (compared as text; a difflib
    similarity of at least ``cutoff``, 0 to 1), or None when no choice is that close."""
    m = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return meant(m[0]) if m else None


def meant(name: str) -> str:
    """The suggestion naming ``name`` as the word probably meant: ``"did you mean 'name'?"``."""
    return f"did you mean {name!r}?"


class QnwmhError(Exception):
    """Base class of every error raised on purpose by qnwmh_rules."""


class RulesetError(QnwmhError, ValueError):
    """A ruleset file is wrong.

    ``str(exc)`` is ``path:line:col: CODE message`` (the compiler convention that
    editors understand); each field is also available on its own.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        col: int | None = None,
        suggestion: str | None = None,
        follow_on: bool = False,
    ) -> None:
        self.code = code
        self.message = message
        self.path = path
        self.line = line
        self.col = col
        self.suggestion = suggestion
        # said of a value the loader refused and already reported at the same place: left out of ``errors``
        self.follow_on = follow_on
        # every problem found in the same check, this one included (set by the loader)
        self.errors: tuple[RulesetError, ...] = (self,)
        super().__init__(self.__str__())

    @property
    def location(self) -> str:
        parts = [self.path or "<ruleset>"]
        if self.line is not None:
            parts.append(str(self.line))
            parts.append(str(self.col if self.col is not None else 1))
        return ":".join(parts)

    def __str__(self) -> str:
        text = f"{self.location}: {self.code} {self.message}"
        if self.suggestion:
            text += f" ({self.suggestion})"
        return text


class FactsError(QnwmhError, ValueError):
    """The facts given for evaluation are wrong; ``field`` is the dotted path."""

    MAX_MESSAGE = 2_000  # characters; a message never carries a whole long value

    def __init__(self, field: str, message: str, *, suggestion: str | None = None) -> None:
        self.field = field if len(field) <= 300 else field[:300] + "…"
        self.message = message if len(message) <= self.MAX_MESSAGE else message[:self.MAX_MESSAGE] + "… (cut)"
        self.suggestion = suggestion if suggestion is None or len(suggestion) <= 300 else suggestion[:300] + "…"
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}" if self.field else self.message
        if self.suggestion:
            text += f" ({self.suggestion})"
        return text


class EvaluationError(QnwmhError, RuntimeError):
    """The engine failed on valid input (a defect or an engine fault, never the caller's)."""


class BackendUnavailableError(EvaluationError):
    """The engine asked for cannot run here (durable_rules does not import on this Python)."""
