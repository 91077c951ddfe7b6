"""Running batch evaluation on a distributed engine (Dask, Spark): one engine per worker.

Owns: a picklable partition function that evaluates an iterable of JSON lines with an engine
built once per worker process (and reused for every partition that process runs), and the
count of engine builds per process, so that tests and operators can see it. Output lines are
exactly those of ``qnwmh-rules batch``. Must not import Dask or Spark: it is plain Python they
can call (see docs/scale-out.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from . import _batch
from ._api import load_ruleset

__all__ = ["evaluate_partition", "engine_builds"]

_ENGINES: dict[tuple[Any, ...], Any] = {}
_BUILDS: dict[int, int] = {}


def _engine(term: str | None, region: str | None, ruleset: str | None, backend: str, subject: str,
            industry: str | None) -> Any:
    key = (term, region, ruleset, backend, subject, industry)
    if key not in _ENGINES:
        _ENGINES[key] = load_ruleset(ruleset or None, term=term, region=region, backend=backend, subject=subject,
                                     industry=industry)
        _BUILDS[os.getpid()] = _BUILDS.get(os.getpid(), 0) + 1
    return _ENGINES[key]


def evaluate_partition(lines: Iterable[tuple[int, str]], *, term: str | None = "2017-2018",
                       region: str | None = None, ruleset: str | None = None, as_of: Any = None,
                       backend: str = "auto", subject: str = "collective",
                       industry: str | None = None) -> list[str]:
    """Evaluate ``(line number, JSON text)`` pairs; return the batch output lines (JSON text).

    The ruleset is the file ``ruleset``, else the shipped one for ``term``, ``region``,
    ``subject`` (``collective`` or ``unit``) and ``industry`` (units only), as for
    ``qnwmh-rules batch``. The engine is built on the first call in a process and kept for
    later partitions.
    """
    engine = _engine(term, region, ruleset, backend, subject, industry)
    return [_batch.evaluate_record(engine, _batch.Record(n, text), as_of).json for n, text in lines]


def engine_builds() -> tuple[int, int]:
    """(this process id, how many engines it has built)."""
    return os.getpid(), _BUILDS.get(os.getpid(), 0)
