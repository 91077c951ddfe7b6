"""Batch evaluation: order kept, bad records reported by line and id, nothing dropped."""

import io
import json
import os
import subprocess
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import _batch as B
from qnwmh_rules.cli import main

from .conftest import EXAMPLE


def _lines(tmp_path):
    good = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    rows = []
    for i in range(30):
        f = dict(good, id=f"C-{i:03d}", members={"total": 4 + i, "aged_35_or_under": 2 + i // 2,
                                                 "chinese_nationals": 4 + i})
        rows.append(json.dumps(f, ensure_ascii=False))
    rows.insert(3, "{not json")
    rows.insert(10, json.dumps({"id": "BAD-1", "members": {"total": "many"}}))
    rows.insert(11, "")
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_every_record_gives_one_line_in_input_order(tmp_path):
    """Input count = verdicts + error lines, and output order is input order."""
    path = _lines(tmp_path)
    with path.open(encoding="utf-8") as f:
        out = list(B.evaluate_lines(B.read_jsonl(f)))
    assert 32 == len(out)
    assert [r.line for r in out] == sorted(r.line for r in out)
    bad = [json.loads(r.json) for r in out if r.outcome is None]
    assert [(4, None, "InvalidJSON", None), (11, "BAD-1", "FactsError", "members.total")] == \
        [(b["line"], b["id"], b["error"]["type"], b["error"]["field"]) for b in bad]


def test_batch_verdicts_equal_single_verdicts(tmp_path):
    """A batch line holds exactly the verdict that evaluate() gives for the record."""
    path = _lines(tmp_path)
    with path.open(encoding="utf-8") as f:
        first = next(r for r in B.evaluate_lines(B.read_jsonl(f)) if r.outcome)
    facts = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert qnwmh_rules.evaluate(facts).to_dict() == json.loads(first.json)["verdict"]


def test_two_workers_give_the_same_output(tmp_path):
    """Worker processes change nothing in the output, order included."""
    path = _lines(tmp_path)
    with path.open(encoding="utf-8") as f:
        one = [r.json for r in B.evaluate_lines(B.read_jsonl(f))]
    with path.open(encoding="utf-8") as f:
        two = [r.json for r in B.evaluate_lines(B.read_jsonl(f), workers=2, chunk_size=4)]
    assert one == two


def test_csv_rows_with_dotted_columns(tmp_path):
    """CSV columns are dotted fact paths; lists are JSON cells; empty cells are missing facts."""
    good = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    header = "id,region,members.total,members.aged_35_or_under,members.chinese_nationals," \
             "leader.birth_date,leader.nationality,honors,filings"
    def cell(v):
        return '"' + json.dumps(v, ensure_ascii=False).replace('"', '""') + '"'
    row = f"GD-1,guangdong,24,15,24,1984-03-02,CN,{cell(good['honors'])},{cell(good['filings'])}"
    row2 = "GD-2,guangdong,24,,24,1984-03-02,CN,[],[]"
    row3 = "GD-3,guangdong,lots"
    (tmp_path / "in.csv").write_text("\n".join([header, row, row2, row3]) + "\n", encoding="utf-8")
    with (tmp_path / "in.csv").open(encoding="utf-8", newline="") as f:
        out = [json.loads(r.json) for r in B.evaluate_lines(B.read_csv(f))]
    assert ["eligible", "ineligible"] == [o["verdict"]["outcome"] for o in out[:2]]
    assert ["members.aged_35_or_under"] == out[1]["verdict"]["missing"]
    assert (4, "InvalidCSV") == (out[2]["line"], out[2]["error"]["type"])


def test_cli_batch_writes_lines_and_a_summary(tmp_path, capsys):
    """`batch` writes one JSON line per record and a summary; exit status 1 says some records were bad."""
    path = _lines(tmp_path)
    assert 1 == main(["batch", str(path), "-o", str(tmp_path / "out.jsonl")])
    assert 32 == len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())
    err = capsys.readouterr().err
    assert "32 records: 30 verdicts, 2 bad records" in err and "basic.members_range" in err


def test_undecodable_and_unreadable_lines_are_error_lines(tmp_path, capsys):
    """A line that is not UTF-8, or holds an integer too long to read, is an error line; the batch goes on."""
    huge = '{"id": "H", "members": {"total": 1' + "0" * 5000 + "}}"
    (tmp_path / "in.jsonl").write_bytes(b'{"id": "a"}\n\xff\xfe\n' + huge.encode() + b'\n{"id": "b"}\n')
    assert 1 == main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl")])
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [1, 2, 3, 4] == [o["line"] for o in out]
    assert ["InvalidText", "InvalidJSON"] == [out[1]["error"]["type"], out[2]["error"]["type"]]
    assert "4 records: 2 verdicts, 2 bad records" in capsys.readouterr().err


def test_a_bad_as_of_stops_the_batch_before_it_starts(tmp_path, capsys):
    """`--as-of` is checked once, with exit code 2, rather than failing every record."""
    (tmp_path / "in.jsonl").write_text('{"id": "a"}\n', encoding="utf-8")
    assert 2 == main(["batch", str(tmp_path / "in.jsonl"), "--as-of", "notadate"])
    assert "qnwmh-rules: bad option --as-of: " in capsys.readouterr().err


def test_units_in_csv(tmp_path):
    """CSV rows can be management units: true/false cells and counts are typed by the unit's fields."""
    (tmp_path / "u.csv").write_text(
        "id,kind,quota,creation_collectives.total,contact_platform.exists,contact_platform.since,activities\n"
        'U1,member_unit,2,30,true,2016-01-01,"[{""kind"": ""training"", ""date"": ""2017-05-01""}]"\n',
        encoding="utf-8")
    with (tmp_path / "u.csv").open(encoding="utf-8", newline="") as f:
        out = [json.loads(r.json) for r in B.evaluate_lines(B.read_csv(f, subject="unit"), subject="unit")]
    # three of the five duties (required obligations) are missing: the unit does not meet the requirements
    assert ("ineligible", "40.0") == (out[0]["verdict"]["outcome"], out[0]["verdict"]["score"]["total"])


def _mixed_lines(draw_ids, bad_every):
    good = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    rows = []
    for i, total in enumerate(draw_ids):
        if bad_every and i % bad_every == 0:
            bad = ["{not json", json.dumps({"id": f"B-{i}", "members": {"total": "many"}}), "", "\ufeff{}"]
            rows.append(bad[i % 4])
        else:
            rows.append(json.dumps(dict(good, id=f"C-{i}", members={"total": total, "aged_35_or_under": total // 2,
                                                                    "chinese_nationals": total}), ensure_ascii=False))
    return ("\n".join(rows) + "\n").encode("utf-8")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(totals=st.lists(st.integers(0, 300), min_size=1, max_size=40), bad_every=st.integers(0, 5),
       chunk=st.integers(1, 9), slot=st.sampled_from([None, 64]))
def test_blocks_with_workers_are_the_bytes_of_one_process(tmp_path, monkeypatch, totals, bad_every, chunk, slot):
    """Blocks from 2 workers (any chunk size; a block too big for its shared slot comes by pipe) are
    byte for byte the lines of evaluate_lines in one process, with the same line numbers and outcomes."""
    if slot is not None:
        monkeypatch.setattr(B, "_SLOT_BYTES", slot)  # forked workers see it: every block takes the pipe
    data = _mixed_lines(totals, bad_every)
    one = list(B.evaluate_lines(B.read_jsonl(io.BytesIO(data))))
    blocks = list(B.evaluate_blocks(B.read_jsonl(io.BytesIO(data)), workers=2, chunk_size=chunk))
    assert "".join(r.json + "\n" for r in one).encode("utf-8") == b"".join(b.data for b in blocks)
    assert [(r.line, r.id, r.outcome, r.failed_rules) for r in one] == [x for b in blocks for x in b.lines]
    assert one == [r for b in blocks for r in b.batch_lines()]


def test_workers_are_forked_with_the_loaded_engine_only_from_a_single_thread():
    """Workers are forked (starting with the parent's engine) only on Linux from a process with no
    other thread; with another thread running they are spawned (a lock held there would stay held)."""
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    alone = B._start_method()
    t.start()
    try:
        busy = B._start_method()
    finally:
        stop.set()
        t.join()
    expected = "fork" if sys.platform.startswith("linux") else "spawn"
    assert (expected, "spawn") == (alone, busy)


def test_spawned_workers_give_the_same_blocks(tmp_path, monkeypatch):
    """Spawned workers (other platforms, or a process with threads) load the engine themselves and
    give the same bytes as forked ones."""
    path = _lines(tmp_path)
    with path.open("rb") as f:
        forked = b"".join(b.data for b in B.evaluate_blocks(B.read_jsonl(f), workers=2, chunk_size=7))
    monkeypatch.setattr(B, "_start_method", lambda: "spawn")
    with path.open("rb") as f:
        spawned = b"".join(b.data for b in B.evaluate_blocks(B.read_jsonl(f), workers=2, chunk_size=7))
    assert forked == spawned


def test_cli_output_is_the_same_with_one_and_two_workers(tmp_path):
    """`batch --workers 2` writes the same file, byte for byte, as `--workers 1` (JSON Lines and CSV)."""
    path = _lines(tmp_path)
    outs = []
    for w in ("1", "2"):
        main(["batch", str(path), "-o", str(tmp_path / f"out{w}.jsonl"), "--workers", w, "-q"])
        outs.append((tmp_path / f"out{w}.jsonl").read_bytes())
    (tmp_path / "in.csv").write_text("id,members.total\n" + "".join(f"X{i},{i}\n" for i in range(25)) + "X,bad\n",
                                     encoding="utf-8")
    for w in ("1", "2"):
        main(["batch", str(tmp_path / "in.csv"), "-o", str(tmp_path / f"csv{w}.jsonl"), "--workers", w, "-q"])
        outs.append((tmp_path / f"csv{w}.jsonl").read_bytes())
    assert (outs[0], outs[2]) == (outs[1], outs[3])
    assert 32 == outs[0].count(b"\n")


_line_bytes = st.one_of(
    st.sampled_from([b"", b"  \t", b"\xef\xbb\xbf{}", b"{not json", b"\xff\xfe", b'{"id": "a"}', b"\r", b"{}\r"]),
    st.binary(max_size=12).filter(lambda b: b"\n" not in b))


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_line_bytes, max_size=30), end=st.booleans(), per_chunk=st.integers(1, 7),
       read_size=st.integers(1, 40))
def test_raw_chunks_read_back_as_the_records_of_the_whole_input(lines, end, per_chunk, read_size):
    """Cut into chunks of raw lines (any chunk and read size, blank and undecodable lines, a byte-order
    mark, a last line without newline), the input reads back as exactly read_jsonl's records."""
    data = b"\n".join(lines) + (b"\n" if end and lines else b"")
    whole = list(B.read_jsonl(io.BytesIO(data)))
    chunks = list(B._jsonl_chunks(io.BytesIO(data), per_chunk, read_size))
    assert data == b"".join(c for _, c, _ in chunks)
    assert whole == [r for first, c, long in chunks for r in B._jsonl_records(io.BytesIO(c), first, long)]


@settings(max_examples=6, deadline=None)
@given(totals=st.lists(st.integers(0, 300), min_size=1, max_size=30), bad_every=st.integers(0, 5),
       chunk=st.integers(1, 9))
def test_workers_reading_raw_lines_give_the_bytes_of_one_process(totals, bad_every, chunk):
    """A JSON Lines stream handed to workers as raw lines gives byte for byte the lines of one process."""
    data = _mixed_lines(totals, bad_every)
    one = list(B.evaluate_lines(B.read_jsonl(io.BytesIO(data))))
    blocks = list(B.evaluate_blocks(B.JsonlStream(io.BytesIO(data)), workers=2, chunk_size=chunk))
    assert "".join(r.json + "\n" for r in one).encode("utf-8") == b"".join(b.data for b in blocks)
    assert [(r.line, r.id, r.outcome, r.failed_rules) for r in one] == [x for b in blocks for x in b.lines]


def test_what_the_caller_printed_before_the_workers_start_is_written_once(tmp_path):
    """Text a program printed (still in stdout's buffer) before a batch with workers is written once:
    forked workers start with nothing buffered that they could write again when they end."""
    path = _lines(tmp_path)
    script = ("import sys\nfrom qnwmh_rules import _batch as B\n"
              "print('before', end='')\n"
              f"with open({str(path)!r}, 'rb') as f:\n"
              "    n = sum(len(b.lines) for b in B.evaluate_blocks(B.JsonlStream(f), workers=2, chunk_size=3))\n"
              "print('', n)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert b"before 32\n" == out.stdout


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(totals=st.lists(st.integers(0, 300), min_size=1, max_size=30), bad_every=st.integers(0, 5),
       chunk=st.integers(1, 9), slot=st.sampled_from([None, 64]))
def test_lent_blocks_read_in_turn_are_the_bytes_of_copied_blocks(tmp_path, monkeypatch, totals, bad_every, chunk,
                                                                 slot):
    """Blocks lent from shared memory (lend=True), each read before the next is asked for, are byte for
    byte the blocks given as copies, with the same lines (also when a block does not fit its slot)."""
    if slot is not None:
        monkeypatch.setattr(B, "_SLOT_BYTES", slot)
    data = _mixed_lines(totals, bad_every)
    copied = list(B.evaluate_blocks(B.read_jsonl(io.BytesIO(data)), workers=2, chunk_size=chunk))
    lent = [(bytes(b.data), b.lines) for b in B.evaluate_blocks(B.read_jsonl(io.BytesIO(data)), workers=2,
                                                                  chunk_size=chunk, lend=True)]
    assert [(b.data, b.lines) for b in copied] == lent


def test_a_lent_block_is_withdrawn_when_the_next_is_asked_for(tmp_path):
    """A lent block kept past the next request cannot be read (its memory is being reused): reading it
    raises instead of giving another block's bytes; a copy taken in time stays whole."""
    path = _lines(tmp_path)
    with path.open("rb") as f:
        blocks = B.evaluate_blocks(B.JsonlStream(f), workers=2, chunk_size=5, lend=True)
        first = next(blocks)
        kept = bytes(first.data)
        second = bytes(next(blocks).data)
        rest = [bytes(b.data) for b in blocks]
    assert isinstance(first.data, memoryview)
    with pytest.raises(ValueError):
        bytes(first.data)
    with path.open("rb") as f:
        copies = [b.data for b in B.evaluate_blocks(B.JsonlStream(f), workers=2, chunk_size=5)]
    assert copies == [kept, second, *rest]


def test_the_cli_writer_copies_a_lent_block_it_keeps_buffered(tmp_path):
    """The CLI's writer buffers a small block until 64 KiB: a lent (memoryview) block it keeps is copied
    first, so what the lender writes into that memory afterwards never reaches the output."""
    from qnwmh_rules.cli import _LineWriter

    shared = bytearray(b'{"a": 1}\n')
    out = tmp_path / "out.jsonl"
    writer = _LineWriter(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666), close=True, name=str(out))
    writer.write_block(memoryview(shared).toreadonly())
    shared[:] = b'{"b": 2}\n'
    big = bytearray(b"x" * 70_000 + b"\n")
    writer.write_block(memoryview(big).toreadonly())  # over 64 KiB: written at once
    writer.close()
    assert b'{"a": 1}\n' + b"x" * 70_000 + b"\n" == out.read_bytes()


def _touch_and_sleep(path):
    open(path, "w").close()
    import time

    time.sleep(60)


def test_the_pool_minds_its_workers_without_watching_the_results_pipe(tmp_path):
    """The batch pool's worker-minding thread waits on the workers and the pool's state only, not on the
    results pipe (where it spun until each result was read); it still wakes when a worker dies, reaps it,
    and starts no replacement (a worker forked from that thread could wait for ever on a lock the main
    thread held at the fork)."""
    import multiprocessing
    import time

    pool = B._Pool(1, context=multiprocessing.get_context(B._start_method()))
    try:
        assert pool._outqueue._reader not in pool._get_sentinels()
        first = pool._pool[0]
        started = tmp_path / "started"
        pool.apply_async(_touch_and_sleep, (str(started),))
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:  # busy: it holds no lock of the pool's
            time.sleep(0.02)
        first.kill()
        first.join(5)
        while first in pool._pool and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)  # the standard pool would have started a replacement by now
        assert (False, [B._NoWorker]) == (first in pool._pool, [type(w) for w in pool._pool])
    finally:
        pool.terminate()
