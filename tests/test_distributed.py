"""Batch evaluation on Dask (local processes): one engine per worker, verdicts identical to a single process."""

import json

import dask.bag as db

from qnwmh_rules import _batch
from qnwmh_rules._distributed import engine_builds, evaluate_partition

from .conftest import EXAMPLE


def _partition_with_builds(pairs):
    out = evaluate_partition(pairs)
    return [(engine_builds(), line) for line in out]


def test_dask_batch_equals_single_process(tmp_path):
    """Four partitions on two worker processes give the single-process lines, each worker building one engine."""
    good = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    texts = [json.dumps(dict(good, id=f"D-{i}", members={"total": 3 + i, "aged_35_or_under": 1 + i // 2,
                                                           "chinese_nationals": 3 + i}), ensure_ascii=False)
             for i in range(40)]
    texts[7] = "{broken"
    pairs = list(enumerate(texts, 1))
    single = [line.json for line in _batch.evaluate_lines(_batch.Record(n, t) for n, t in pairs)]
    bag = db.from_sequence(pairs, npartitions=4).map_partitions(_partition_with_builds)
    got = bag.compute(scheduler="processes", num_workers=2)
    assert single == [line for _, line in got]
    builds = {}
    for (pid, count), _ in got:
        builds[pid] = max(builds.get(pid, 0), count)
    assert set(builds.values()) == {1}
    assert 1 <= len(builds) <= 2


def test_a_partition_of_units_uses_the_unit_ruleset_of_its_industry():
    """subject and industry reach the partition's engine: its lines are those of batch for the same ruleset."""
    from pathlib import Path

    unit = (Path(__file__).resolve().parent.parent / "rulesets" / "examples" / "unit-transport.json").read_text(
        encoding="utf-8")
    pairs = [(1, unit), (2, "{broken")]
    single = [line.json for line in _batch.evaluate_lines((_batch.Record(n, t) for n, t in pairs),
                                                          subject="unit", industry="transport")]
    assert single == evaluate_partition(pairs, subject="unit", industry="transport")
    assert "unit-transport" == json.loads(single[0])["verdict"]["stamp"]["ruleset_id"]
