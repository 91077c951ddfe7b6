"""Break-testing the s19 batch workers, durable fire_many, facts fast path and input bounds."""

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qnwmh_rules import _batch as B

from .conftest import BACKENDS_HERE
from .strategies import edited_facts

ROOT = Path(__file__).parents[1]
_GOOD = json.loads((ROOT / "rulesets" / "examples" / "collective-gd-0001.json").read_text("utf-8"))


def test_raw_chunks_of_a_long_line_read_in_small_pieces_take_linear_work():
    """A 4 MB line arriving 16 bytes per read is cut as one line, each piece looked at once (the chunker
    used to copy and rescan all it had read on every piece: `batch --workers 2` took 68 s on a 100 MB
    line that one worker reads in 1 s). Run under a 15 s CPU limit, which linear work is far below (~1 s)."""
    code = textwrap.dedent('''
        import io, resource
        resource.setrlimit(resource.RLIMIT_CPU, (15, 15))
        from qnwmh_rules import _batch as B

        class Trickle(io.RawIOBase):
            def __init__(self, data):
                self.data, self.pos = data, 0
            def readable(self):
                return True
            def readinto(self, b):
                n = min(16, len(b), len(self.data) - self.pos)
                b[:n] = self.data[self.pos:self.pos + n]
                self.pos += n
                return n

        line = b'{"id": "' + b"x" * (4 << 20) + b'"}\\n'
        data = line + b'{"id": "b"}\\r\\n' + b"last"
        chunks = list(B._jsonl_chunks(io.BufferedReader(Trickle(data), 16), 2))
        assert [(1, line + b'{"id": "b"}\\r\\n', ()), (3, b"last", ())] == chunks, [(f, len(c)) for f, c, _ in chunks]
        print("ok")
    ''')
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (0, "ok\n") == (done.returncode, done.stdout), done.stderr[-2000:]


_line_bytes = st.one_of(
    st.sampled_from([b"", b"  \t", b"\xef\xbb\xbf{}", b"{not json", b"\xff\xfe", b'{"id": "a"}', b"\r", b"{}\r",
                     b'{"id": "0123456789abcdef"}', b" " * 30]),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b))


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_line_bytes, max_size=30), end=st.booleans(), per_chunk=st.integers(1, 7),
       read_size=st.integers(1, 40), limit=st.integers(0, 30))
def test_lines_longer_than_the_limit_are_error_lines_and_the_rest_reads_as_before(lines, end, per_chunk,
                                                                                   read_size, limit):
    """Cut into raw chunks (any chunk, read size and line limit), every line longer than the limit is an
    InvalidJSON error line with its number, and every other line reads as read_jsonl reads it; iterating
    a JsonlStream gives the same records as the chunks."""
    data = b"\n".join(lines) + (b"\n" if end and lines else b"")
    expected = []
    for n, line in enumerate(io.BytesIO(data), 1):
        if len(line.removesuffix(b"\n")) > limit:
            expected.append((n, "InvalidJSON"))
        else:
            expected.extend((r.line, r.raw) for r in B._jsonl_records([line], n))
    chunks = list(B._jsonl_chunks(io.BufferedReader(io.BytesIO(data), max(read_size, 8)), per_chunk, read_size, limit))
    got = [r for first, c, long in chunks for r in B._jsonl_records(io.BytesIO(c), first, long, limit)]
    assert expected == [(r.line, r.raw.kind if isinstance(r.raw, B._Bad) and "longer" in r.raw.problem else r.raw)
                        for r in got]
    assert got == list(B.JsonlStream(io.BytesIO(data), limit))


def test_an_endless_line_is_one_error_line_with_bounded_memory():
    """`batch /dev/zero` (one endless line) no longer reads until memory runs out: under a 1 GB address-space
    limit, 200 MB of a line without newline, on stdin, with 1 and 2 workers, give one InvalidJSON line."""
    outs = []
    for workers in ("1", "2"):
        code = ("import resource, sys\n"
                "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
                "from qnwmh_rules.cli import main\n"
                f"sys.exit(main(['batch', '-', '-q', '--workers', '{workers}']))\n")
        feed = subprocess.Popen(["head", "-c", str(200 << 20), "/dev/zero"], stdout=subprocess.PIPE)
        done = subprocess.run([sys.executable, "-c", code], stdin=feed.stdout, capture_output=True, timeout=300)
        feed.wait()
        outs.append((done.returncode, done.stdout, done.stderr))
    line = {"error": {"field": None, "message": f"the line is longer than {64 << 20:,} bytes: no facts document is "
                                                "that large (is it the right file?)", "type": "InvalidJSON"},
            "id": None, "line": 1}
    expected = (1, (json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n").encode(), b"")
    assert [expected, expected] == outs


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(st.tuples(st.text("ab ,", max_size=24), st.sampled_from(["\n", "\r\n", "\r"])), max_size=12),
       limit=st.integers(9, 20))
def test_csv_lines_longer_than_the_limit_are_error_rows_and_the_rest_read_as_before(cells, limit):
    """A CSV row on a line longer than the limit (in characters) is an InvalidCSV error row of its own,
    with its row number; every other row reads exactly as without a limit."""
    data = ("id,region\n" + "".join(f"{t}{end}" for t, end in cells)).encode()
    unbounded = {r.line: r.raw for r in B.read_csv(io.BytesIO(data))}
    got = list(B.read_csv(io.BytesIO(data), limit=limit))
    rows = list(io.StringIO(data.decode(), newline=""))[1:]  # lines end in \n, \r or \r\n
    expected = []
    for n, row in enumerate(rows, 2):
        if len(row.rstrip("\r\n")) > limit:
            expected.append((n, "too long"))
        elif n in unbounded:
            expected.append((n, unbounded[n]))
    assert expected == [(r.line, "too long" if isinstance(r.raw, B._Bad) and "longer than" in r.raw.problem
                         else r.raw) for r in got]


def test_an_endless_csv_line_is_one_error_row_with_bounded_memory():
    """`batch - --format csv` given a header and then a 300 MB line without end gives one InvalidCSV row
    under a 1 GB address-space limit (the whole line used to be read first: memory ran out)."""
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            "from qnwmh_rules.cli import main\n"
            "sys.exit(main(['batch', '-', '-q', '--format', 'csv']))\n")
    feed = subprocess.Popen(["sh", "-c", f"printf 'id,region\\n'; head -c {300 << 20} /dev/zero | tr '\\0' a"],
                            stdout=subprocess.PIPE)
    done = subprocess.run([sys.executable, "-c", code], stdin=feed.stdout, capture_output=True, timeout=300)
    feed.wait()
    line = {"error": {"field": None, "message": f"the line is longer than {64 << 20:,} characters: no facts "
                                                "document is that large (is it the right file?)",
                      "type": "InvalidCSV"}, "id": None, "line": 2}
    assert (1, (json.dumps(line, sort_keys=True) + "\n").encode(), b"") == (done.returncode, done.stdout,
                                                                            done.stderr)


@pytest.mark.parametrize("backend", BACKENDS_HERE)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_to_the_batch_alone_stops_it_and_its_workers_with_one_line(tmp_path, workers, backend):
    """SIGTERM to the batch process only (a service manager, `kill PID`) while it evaluates (fed without end):
    exit 143 with one line, whole lines, and no worker left behind to print a BrokenPipeError traceback
    (they used to be orphaned); the signal is never taken for a failure of the record being evaluated."""
    import threading

    out = tmp_path / "out.jsonl"
    p = subprocess.Popen([sys.executable, "-m", "qnwmh_rules.cli", "batch", "-", "-o", str(out), "--workers", workers,
                          "--backend", backend, "-q"], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, cwd=ROOT)
    line = (json.dumps(_GOOD) + "\n").encode()

    def feed():
        try:
            while True:
                p.stdin.write(line * 50)
                p.stdin.flush()
        except (OSError, ValueError):  # the batch has gone, or the pipe was closed
            pass

    threading.Thread(target=feed, daemon=True).start()
    deadline = time.monotonic() + 60
    while (not out.exists() or out.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert out.stat().st_size > 0, "the batch never produced output"
    time.sleep(0.3)  # well inside the batch
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    err = p.stderr.read()
    for _ in range(100):  # every process of the session (workers, the resource tracker) goes away
        try:
            os.killpg(p.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(p.pid, signal.SIGKILL)
        raise AssertionError("processes of the batch outlived it")
    assert (143, "qnwmh-rules: terminated\n") == (p.returncode, err.decode())
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n") and all(json.loads(x)["verdict"] for x in text.splitlines())


def _spoil(value, seen):
    """Change every list and dict reachable from ``value`` (attrs objects and tuples walked into)."""
    import attrs

    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, list):
        for x in value:
            _spoil(x, seen)
        value.append("spoilt")
    elif isinstance(value, dict):
        for x in list(value.values()):
            _spoil(x, seen)
        value["spoilt"] = True
    elif isinstance(value, tuple):
        for x in value:
            _spoil(x, seen)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            _spoil(getattr(value, field.name), seen)


_EXAMPLES = ROOT / "rulesets" / "examples"


@pytest.mark.parametrize("backend", BACKENDS_HERE)
@pytest.mark.parametrize(("term", "region", "subject", "example"), [
    ("2017-2018", None, "collective", "collective-gd-0001.json"),
    ("2017-2018", "guangdong", "collective", "collective-gd-0001.json"),
    ("2011-2012", None, "collective", "collective-2011-0001.json"),
    ("2017-2018", "guangdong", "unit", "unit-gd.json"),
])
def test_spoiling_what_one_verdict_holds_never_reaches_the_next_verdicts(backend, term, region, subject, example):
    """Every list and dict inside one verdict's rules, stamp and score changed by its caller: the next
    verdicts of the same engine are unchanged, and their to_dict still equals their JSON (the parameters'
    lists and objects, such as filing_window, were shared by every verdict of an engine)."""
    from qnwmh_rules import load_ruleset

    facts = json.loads((_EXAMPLES / example).read_text("utf-8"))
    engine = load_ruleset(None, term=term, region=region, backend=backend, subject=subject)
    first = engine.evaluate(facts, as_of="2018-12-31")
    before = json.loads(first.to_json())  # its own copy (to_dict holds the verdict's own lists)
    for part in (first.rules, first.stamp, first.score):
        _spoil(part, set())
    second = engine.evaluate(facts, as_of="2018-12-31")
    assert (before, before) == (second.to_dict(), json.loads(second.to_json()))


def _answer(engine, doc, as_of):
    """The verdict JSON without the stamp's engine, or the error (type, field, message)."""
    from qnwmh_rules import QnwmhError

    try:
        verdict = engine.evaluate(doc, as_of=as_of)
    except QnwmhError as exc:
        return ("error", type(exc).__name__, getattr(exc, "field", None), str(exc))
    whole = json.loads(verdict.to_json())
    assert whole == verdict.to_dict() or whole == json.loads(json.dumps(verdict.to_dict()))
    del whole["stamp"]["engine"]
    return ("verdict", whole)


_ENGINES: dict = {}


def _engine(backend, subject):
    from qnwmh_rules import load_ruleset

    key = (backend, subject)
    if key not in _ENGINES:
        _ENGINES[key] = load_ruleset(None, term="2017-2018", region="guangdong", backend=backend, subject=subject)
    return _ENGINES[key]


@pytest.mark.durable
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_facts(), st.sampled_from(["2017-10-15", "2018-12-31", "2017-06-20T10:15:00+08:00"]))
def test_durable_and_python_give_the_same_whole_verdict_or_error_and_a_good_case_after_it(case, as_of):
    """On hostile facts, durable and python give the same whole verdict JSON (but the stamp's engine) or
    the same error; and a good case evaluated right after (also after a failed one) is unchanged."""
    subject, tz, doc = case
    good = json.loads((_EXAMPLES / ("unit-gd.json" if subject == "unit" else "collective-gd-0001.json"))
                      .read_text("utf-8"))
    durable, python = _engine("durable", subject), _engine("python", subject)
    clean = _answer(durable, good, "2018-12-31")
    got = _answer(durable, doc, as_of)
    event(got[0])
    assert _answer(python, doc, as_of) == got
    assert clean == _answer(durable, good, "2018-12-31")


def test_the_progress_bar_counts_a_file_of_one_endless_line_with_bounded_memory(tmp_path):
    """The terminal's progress bar counts the records of a JSON Lines file first: a 1 GiB file of one line
    (sparse) counts as 1 record under a 512 MiB address-space limit (the count read whole lines)."""
    path = tmp_path / "one-line.jsonl"
    with open(path, "wb") as f:
        f.truncate(1 << 30)
    (tmp_path / "lines.jsonl").write_bytes(b'{}\n \r\n\xef\xbb\xbf\n{"a":\n\n{}')
    code = ("import argparse, resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 29, 1 << 29))\n"
            "from qnwmh_rules import cli\n"
            "for name in sys.argv[1:]:\n"
            "    bar = cli._progress_bar(argparse.Namespace(input=name, quiet=False), 'jsonl')\n"
            "    print(bar.total)\n"
            "    bar.close()\n")
    done = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "lines.jsonl")], capture_output=True,
                          text=True, timeout=300)
    assert ("1\n3\n", False) == (done.stdout, "Traceback" in done.stderr), done.stderr[-2000:]


def test_a_document_of_millions_of_empty_lists_is_refused_before_it_is_built():
    """64 MiB of `[],` (22 million lists, ~5 GB once built and walked: 79 s) is refused as JSON holding too
    many values, before parsing; strings full of commas and brackets do not count, nor do small documents."""
    from qnwmh_rules._jsontext import MAX_VALUES, InvalidJSONError, loads

    many = '{"honors": [' + ",".join(["[]"] * MAX_VALUES) + "]}"
    with pytest.raises(InvalidJSONError) as caught:
        loads(many, "facts.json")
    assert ("facts.json", f"holds more than {MAX_VALUES:,} JSON values: no document this library reads has that "
                          "many (is it the right file?)") == (caught.value.field, caught.value.message)
    commas = {"id": "A", "note": ",[{" * MAX_VALUES, "list": [[]] * 1000}
    assert commas == loads(json.dumps(commas), "facts.json")
    few = '{"honors": [' + ",".join(["[]"] * (MAX_VALUES // 2 - 10)) + "]}"
    assert MAX_VALUES // 2 - 10 == len(loads(few)["honors"])


def test_the_cli_refuses_a_facts_file_of_millions_of_values_at_once(tmp_path):
    """`evaluate FILE` with 64 MiB of empty lists: one line and status 2, under a 1 GiB address-space limit."""
    path = tmp_path / "amp.json"
    path.write_text('{"honors": [' + ",".join(["[]"] * ((64 << 20) // 3 - 10)) + "]}", encoding="utf-8")
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            "from qnwmh_rules.cli import main\n"
            f"sys.exit(main(['evaluate', {str(path)!r}]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert (2, 1, "holds more than") == (done.returncode, done.stderr.count("\n"),
                                         "holds more than" if "holds more than" in done.stderr else done.stderr)


def _count_values(v):
    if isinstance(v, dict):
        return 1 + sum(_count_values(x) for x in v.values())
    if isinstance(v, list):
        return 1 + sum(_count_values(x) for x in v)
    return 1


_JSON_TEXT = st.text(st.sampled_from(['"', "\\", ",", "[", "{", "a", "\n", "中", "}", "]"]), max_size=8)
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | _JSON_TEXT,
                     lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_JSON_TEXT, inner, max_size=5),
                     max_leaves=60)


@settings(max_examples=300, deadline=None)
@given(doc=_JSON, limit=st.integers(0, 80), indent=st.sampled_from([None, 1]))
def test_the_value_count_bounds_the_values_of_any_json_text(doc, limit, indent):
    """The pre-parse count lets through only texts of at most `limit` values, and every text of at most half
    that many (strings holding quotes, backslashes, commas and brackets included)."""
    from qnwmh_rules._jsontext import _values_at_most

    text = json.dumps(doc, ensure_ascii=False, indent=indent)
    n = _count_values(doc)
    allowed = _values_at_most(text, limit)
    assert (True, True) == (not allowed or n <= limit, allowed or n > limit // 2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_facts(), st.sampled_from(["2017-10-15", "2018-12-31"]), st.sampled_from(BACKENDS_HERE))
def test_verdicts_through_the_fast_facts_path_equal_those_of_the_full_walker(case, as_of, backend):
    """On hostile facts, a verdict (whole JSON, stamp included: its facts hash) or error is the same whether
    the facts went through the fast path or, with it turned off, through the full walker alone."""
    from qnwmh_rules import facts as facts_module

    subject, _, doc = case
    engine = _engine(backend, subject)
    fast = _answer(engine, doc, as_of)
    original = facts_module._fast_parse
    facts_module._fast_parse = lambda *args: None
    try:
        full = _answer(engine, doc, as_of)
    finally:
        facts_module._fast_parse = original
    assert full == fast


@pytest.mark.parametrize("field", ["term", "ruleset_id", "engine", "schema_version"])
def test_replay_of_a_stamp_with_a_huge_value_says_so_in_one_short_line(tmp_path, capsys, field):
    """A stored verdict whose stamp's term, ruleset id or engine (or the verdict's schema_version) is 100,000
    characters is refused in one line that shows the start of it, not the whole value."""
    from qnwmh_rules import load_ruleset
    from qnwmh_rules.cli import main

    verdict = json.loads(load_ruleset(None, term="2017-2018", region="guangdong", backend="python")
                         .evaluate(_GOOD, as_of="2017-10-15").to_json())
    huge = "\u202e" + "x" * 100_000
    if field == "schema_version":
        verdict["schema_version"] = huge
    else:
        verdict["stamp"][field] = huge
    (tmp_path / "v.json").write_text(json.dumps(verdict), encoding="utf-8")
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(_GOOD), encoding="utf-8")
    status = main(["replay", str(tmp_path / "v.json"), "--facts", str(facts)])
    err = capsys.readouterr().err
    assert (2, 1, True, True) == (status, err.count("\n"), len(err) < 500, "\\u202e" in err), err[:600]


@pytest.mark.parametrize("value", ["1" * 100_000, "0x" + "1" * 100_000, "1" * 100_000 + ".5", "1_" * 50_000,
                                   "0." + "1" * 100_000, "1" * 50_000 + ":30", '"' + "1" * 100_000 + '"',
                                   "!!int '" + "7" * 100_000 + "'"])
def test_check_shows_a_long_value_of_a_ruleset_shortened(tmp_path, capsys, value):
    """A 100,000-character number in a ruleset (any notation) is one short diagnostic line, not the whole value."""
    from qnwmh_rules.cli import main

    text = (ROOT / "rulesets" / "2017-2018" / "national.yaml").read_text("utf-8")
    at = text.index("value:")
    path = tmp_path / "big.yaml"
    path.write_text(text[:at] + "value: " + value + text[text.index("\n", at):], encoding="utf-8")
    main(["check", str(path)])
    out = capsys.readouterr()
    lines = out.err.splitlines() + out.out.splitlines()
    assert (True, []) == (any(": Q" in line for line in lines), [line[:200] for line in lines if len(line) > 400])
