"""Faults found by trying issue 9's work as a new user and as an attacker would.

Each kind has a test that a new member of the kind would break: the output of a batch is never
its input whichever way the two are named (``-o``, stdin, stdout); a number is never read as a
different number that the facts contract then accepts; a closed pipe ends a batch quietly; an
input in another Unicode encoding is refused as a whole instead of being split into wrong
records; a caller's ``tzinfo`` that cannot give an offset is a ``FactsError``.
"""

import copy
import datetime as dt
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from dateutil import tz as dttz
from hypothesis import given, settings
from hypothesis import strategies as st

import qnwmh_rules
from qnwmh_rules import FactsError
from qnwmh_rules._jsontext import loads
from qnwmh_rules._moments import parse_timestamp
from qnwmh_rules.cli import main
from qnwmh_rules.facts import MAX_COUNT, parse_facts

from .conftest import EXAMPLE

GOOD = json.loads(EXAMPLE.read_text(encoding="utf-8"))
LINE = json.dumps(GOOD, ensure_ascii=False) + "\n"
HEADER = "id,region,members.total,members.aged_35_or_under,members.chinese_nationals\n"
ROW = "GD-1,guangdong,24,15,24\n"


def cli(*args, stdin=None, stdout=subprocess.PIPE):
    """Run the command line in a child process (so stdin and stdout can be real files)."""
    return subprocess.run([sys.executable, "-m", "qnwmh_rules.cli", *args], stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=120)


# ---- the output is never the input, however either is named ------------------------------------

def test_batch_refuses_an_output_file_that_is_its_stdin(tmp_path):
    """`batch - -o X < X` is refused with status 2 and X kept (it used to empty X and exit 0)."""
    src = tmp_path / "in.jsonl"
    src.write_text(LINE, encoding="utf-8")
    with open(src, "rb") as stdin:
        r = cli("batch", "-", "-o", str(src), "-q", "--backend", "python", stdin=stdin)
    assert (2, LINE) == (r.returncode, src.read_text(encoding="utf-8"))
    assert "is the input file" in r.stderr.decode()


def test_batch_refuses_a_stdout_that_is_its_input(tmp_path):
    """`batch X >> X` (stdout appended to the input) is refused instead of reading its own output."""
    src = tmp_path / "in.jsonl"
    src.write_text(LINE, encoding="utf-8")
    with open(src, "ab") as stdout:
        r = cli("batch", str(src), "-q", "--backend", "python", stdout=stdout)
    assert (2, LINE) == (r.returncode, src.read_text(encoding="utf-8"))
    assert "is the input file" in r.stderr.decode()


def test_batch_refuses_dev_stdout_when_stdout_is_its_input(tmp_path):
    """`batch X -o /dev/stdout >> X` is the same file too."""
    src = tmp_path / "in.jsonl"
    src.write_text(LINE, encoding="utf-8")
    with open(src, "ab") as stdout:
        r = cli("batch", str(src), "-o", "/dev/stdout", "-q", "--backend", "python", stdout=stdout)
    assert (2, LINE) == (r.returncode, src.read_text(encoding="utf-8"))


def test_batch_to_dev_stdout_and_from_dev_stdin_still_work(tmp_path):
    """Naming the standard streams by path is not mistaken for writing over the input."""
    src = tmp_path / "in.jsonl"
    src.write_text(LINE * 2, encoding="utf-8")
    with open(src, "rb") as stdin:
        r = cli("batch", "/dev/stdin", "-o", "/dev/stdout", "-q", "--backend", "python", stdin=stdin)
    assert (0, 2) == (r.returncode, len(r.stdout.splitlines()))


# ---- a number is read as written or refused --------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(number=st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.builds(lambda whole, zeros, tail, exp: f"{whole}.{'0' * zeros}{tail}{exp}",
              st.integers(0, 10**12), st.integers(0, 40), st.integers(1, 9),
              st.sampled_from(["", "e0", "E+1", "e-1", "e2"]))))
def test_a_count_is_accepted_only_when_its_json_number_is_exactly_that_whole_number(number):
    """members.total written as any JSON number is accepted iff its exact decimal value is a whole
    number in 0..MAX_COUNT, and then it is read as exactly that number (24.00000000000000000001
    used to be read as 24)."""
    try:
        json.loads(number)
    except ValueError:
        return  # hypothesis' decimal text is not always JSON (e.g. "1E+2" is, "Infinity" is not)
    exact = Decimal(number)
    whole = exact == exact.to_integral_value() and 0 <= exact <= MAX_COUNT
    text = json.dumps({**GOOD, "members": {"total": 10**9}}).replace("1000000000", number)
    try:
        facts = parse_facts(loads(text))
    except FactsError:
        assert not whole
        return
    assert whole
    assert exact == facts.values["members.total"]


def test_a_fraction_too_small_for_a_double_is_not_a_whole_number():
    """The issue's rule on guesses applies to numbers: 24.00000000000000000001 is not 24."""
    text = json.dumps(GOOD).replace('"total": 24', '"total": 24.00000000000000000001')
    with pytest.raises(FactsError):
        qnwmh_rules.load_ruleset(term="2017-2018", backend="python").evaluate(text)


# ---- a closed pipe ends a batch quietly -------------------------------------------------------

@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_into_a_pipe_closed_early_ends_quietly(tmp_path, workers):
    """`batch … | head -1`: no message, no traceback, and the status of a process ended by SIGPIPE (141)."""
    src = tmp_path / "in.jsonl"
    src.write_text(LINE * 3000, encoding="utf-8")
    p = subprocess.Popen([sys.executable, "-m", "qnwmh_rules.cli", "batch", str(src), "--backend", "python",
                          "--workers", workers], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    first = p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    p.wait(timeout=120)
    assert json.loads(first)["line"] == 1
    assert (141, b"") == (p.returncode, err)


def test_evaluate_into_a_closed_pipe_ends_quietly(tmp_path):
    """The same for a single verdict written to a reader that has gone."""
    r = subprocess.run(f"{sys.executable} -m qnwmh_rules.cli evaluate {EXAMPLE} --backend python | head -c 1",
                       shell=True, capture_output=True, timeout=120)
    assert b"" == r.stderr


# ---- an input in another Unicode encoding is refused whole, not cut into wrong records -------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_utf16_or_utf32_input_is_refused_with_its_encoding_named(tmp_path, encoding, kind):
    """A file saved as UTF-16/32 (with or without a byte-order mark) used to give one error line per
    stray newline byte (more lines than records); it is refused as a whole, naming the encoding, with
    status 2 and no output."""
    src = tmp_path / f"in.{kind}"
    text = LINE * 3 if kind == "jsonl" else HEADER + ROW * 3
    src.write_bytes(text.encode(encoding))
    out = tmp_path / "out.jsonl"
    r = cli("batch", str(src), "-o", str(out), "-q", "--backend", "python")
    assert 2 == r.returncode
    assert "UTF-16" in r.stderr.decode() or "UTF-32" in r.stderr.decode()
    assert not out.exists() or out.read_bytes() == b""


def test_a_utf16_csv_is_read_with_its_encoding_given(tmp_path):
    """… and `--encoding utf-16` reads it, one verdict per row."""
    src = tmp_path / "in.csv"
    src.write_bytes((HEADER + ROW * 3).encode("utf-16"))
    r = cli("batch", str(src), "-q", "--backend", "python", "--encoding", "utf-16")
    assert [2, 3, 4] == [json.loads(x)["line"] for x in r.stdout.splitlines()]


def test_a_csv_header_with_control_characters_is_a_header_problem():
    """A header cell holding NUL or another control character cannot name a fact path."""
    from qnwmh_rules import _batch as B

    rows = list(B.read_csv(["id,members.\x00total\n", "GD-1,24\n"]))
    assert ["InvalidCSV"] == [r.raw.kind for r in rows]


# ---- a caller's tzinfo that gives no usable offset ----------------------------------------------

class _Raising(dt.tzinfo):
    def utcoffset(self, d):
        raise RuntimeError("no offset here")


class _TooFar(dt.tzinfo):
    def utcoffset(self, d):
        return dt.timedelta(hours=30)


@pytest.mark.parametrize("tz", [_Raising(), _TooFar()])
def test_a_tzinfo_that_gives_no_usable_offset_is_a_facts_error(tz):
    """as_of or a timestamp fact whose tzinfo raises or gives an offset of a day or more is refused
    with a FactsError naming the field (it used to escape as RuntimeError or ValueError)."""
    engine = qnwmh_rules.load_ruleset(term="2017-2018", backend="python")
    with pytest.raises(FactsError) as info:
        engine.evaluate(GOOD, as_of=dt.datetime(2017, 9, 1, tzinfo=tz))
    assert "as_of" == info.value.field
    facts = copy.deepcopy(GOOD)
    facts["filings"][0]["submitted_at"] = dt.datetime(2017, 6, 20, tzinfo=tz)
    with pytest.raises(FactsError) as info:
        engine.evaluate(facts)
    assert "filings[0].submitted_at" == info.value.field



# ---- a cases file's facts: YAML's own number and timestamp forms are not guessed ---------------

NATIONAL = EXAMPLE.parent.parent / "2017-2018" / "national.yaml"


def read_case_setting(tmp_path, path, text):
    """The facts of a one-case cases file that sets ``path`` to the YAML scalar ``text``."""
    from qnwmh_rules._cases import read_cases

    shutil.copy(NATIONAL, tmp_path / "national.yaml")  # a cases file names files inside its own tree (Q165)
    shutil.copy(EXAMPLE, tmp_path / "base.json")
    f = tmp_path / "x.cases.yaml"
    f.write_text(f"ruleset: national.yaml\nbase: base.json\ncases:\n- name: one\n  set:\n    {path}: {text}\n"
                 "  expect: {outcome: eligible}\n", encoding="utf-8")
    return read_cases(f).cases[0].facts


@pytest.mark.parametrize(("path", "text"), [
    ("members.total", "030"),  # YAML 1.1 octal: 24
    ("members.total", "0x18"),  # hexadecimal: 24
    ("members.total", "1_000"),  # 1000
    ("members.total", "1:30"),  # sexagesimal: 90
    ("members.total", "+24"),
    ("members.total", "24.00000000000000000001"),  # a double: 24.0
    ("members.total", "24.0_0"),
    ("members.total", "2.4e+1"),  # exponent notation: refused in YAML files as in rulesets (Q160)
    ("filings.0.submitted_at", "2017-06-20 10:15:00"),  # space instead of T
    ("filings.0.submitted_at", "2017-6-20T10:15:00+08:00"),
    ("filings.0.submitted_at", "2017-06-20t10:15:00+08:00"),
    ("filings.0.submitted_at", "2017-06-20T10:15:00+8"),
    ("filings.0.submitted_at", "2017-06-20T10:15:00.1234567+08:00"),  # PyYAML drops the 7th digit
])
def test_a_cases_file_refuses_yaml_forms_the_facts_grammar_refuses(tmp_path, path, text):
    """A value in a case's `set` or `facts` that YAML reads by its own looser rules (octal, hex,
    underscores, base 60, a space for T, one-digit months, a fraction cut to 6 digits) is a Q104 at
    its line: as JSON or text the same value is refused, so the case would test facts no filing
    system can send."""
    with pytest.raises(qnwmh_rules.RulesetError) as info:
        read_case_setting(tmp_path, path, text)
    # Q160/Q161: the YAML loader refuses the notation or the digits itself (as in rulesets);
    # Q104: the facts grammar does
    assert (True, 6) == (info.value.code in ("Q104", "Q160", "Q161"), info.value.line)


@pytest.mark.parametrize(("path", "text", "value"), [
    ("members.total", "24", 24),
    ("members.total", "-3", -3),
    ("members.total", "24.0", 24.0),
    ("leader.birth_date", "1984-03-02", "1984-03-02"),
    ("filings.0.submitted_at", "2017-06-20T10:15:00+08:00", "2017-06-20T10:15:00+08:00"),
    ("filings.0.submitted_at", "2017-06-20T10:15:00Z", "2017-06-20T10:15:00Z"),
    ("filings.0.submitted_at", "2017-06-20T10:15:00.5-01:30", "2017-06-20T10:15:00.5-01:30"),
])
def test_a_cases_file_reads_the_forms_the_facts_grammar_reads(tmp_path, path, text, value):
    """Plain decimal numbers, dates and timestamps of the one grammar are read as before."""
    facts = read_case_setting(tmp_path, path, text)
    for key in path.split("."):
        facts = facts[int(key) if key.isdigit() else key]
    assert value == facts


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="0123456789-+._:xoeET tZ", min_size=1, max_size=28))
def test_whatever_a_cases_file_reads_as_a_number_or_moment_json_reads_the_same(tmp_path_factory, text):
    """Any YAML scalar a case sets a count or a timestamp to is either refused (Q104) or read as the
    same value the facts contract reads from the same text sent as JSON (a number) or as text (a
    moment)."""
    import yaml

    tmp = tmp_path_factory.mktemp("c")
    try:
        resolved = yaml.safe_load(f"v: {text}")["v"]
    except yaml.YAMLError:
        return
    if isinstance(resolved, str) or resolved is None:
        return  # YAML reads it as a text: the facts check sees exactly what was written
    for path in ("members.total", "filings.0.submitted_at"):
        try:
            facts = read_case_setting(tmp, path, text)
        except qnwmh_rules.RulesetError:
            continue
        value = facts["members"]["total"] if path == "members.total" else facts["filings"][0]["submitted_at"]
        if isinstance(resolved, (dt.date, dt.datetime)):
            assert text == value
        elif isinstance(resolved, (int, float)) and not isinstance(resolved, bool):
            assert loads(text) == value


# ---- explain: a document that is not a verdict is refused as such, not an internal error --------

def _verdict_paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _verdict_paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _verdict_paths(v, prefix + (i,))


@functools.cache
def _a_verdict():
    return qnwmh_rules.load_ruleset(term="2017-2018", region="guangdong", backend="python").evaluate(GOOD).to_dict()


@settings(max_examples=120, deadline=None)
@given(data=st.data(), replacement=st.one_of(st.none(), st.booleans(), st.integers(-2, 10**20), st.text(max_size=5),
                                             st.lists(st.integers(), max_size=2),
                                             st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
       fmt=st.sampled_from(["text", "html"]))
def test_explain_of_a_damaged_verdict_is_a_verdict_or_a_refusal(tmp_path_factory, data, replacement, fmt):
    """Any one value of a verdict document replaced by a value of another type: `explain` prints a
    note or refuses the document (status 2, "is not a verdict document"), never an internal error."""
    doc = copy.deepcopy(_a_verdict())
    paths = [p for p in _verdict_paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = replacement
    f = tmp_path_factory.mktemp("v") / "v.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    status = main(["explain", str(f), "--format", fmt, "-o", str(f.with_suffix(".out"))])
    assert status in (0, 2)


# ---- --encoding names a text encoding that can be read strictly ------------------------------

@pytest.mark.parametrize("encoding", ["rot13", "base64", "hex", "zlib", "idna", "punycode"])
def test_an_encoding_that_is_not_a_strict_text_encoding_is_a_usage_error(tmp_path, capsys, encoding):
    """`--encoding rot13` (or base64, hex, zlib: not text encodings; idna, punycode: no strict
    reading) is refused with status 2 naming --encoding; it used to be an internal error."""
    src = tmp_path / "in.csv"
    src.write_text(HEADER + ROW, encoding="utf-8")
    assert 2 == main(["batch", str(src), "-o", str(tmp_path / "out.jsonl"), "-q", "--encoding", encoding])
    assert "--encoding" in capsys.readouterr().err


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf-8-sig", "gb18030", "GBK", "big5", "latin-1", "utf-16"])
def test_text_encodings_are_still_accepted(tmp_path, encoding):
    """Ordinary text encodings read the rows written in them."""
    src = tmp_path / "in.csv"
    src.write_bytes((HEADER + ROW).encode(encoding))
    out = tmp_path / "out.jsonl"
    assert 0 == main(["batch", str(src), "-o", str(out), "-q", "--encoding", encoding, "--backend", "python"])
    assert [2] == [json.loads(x)["line"] for x in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(("written", "given"), [("utf-16-le", "utf-16"), ("utf-32-be", "utf-32")])
def test_utf16_without_a_byte_order_mark_under_plain_utf16_is_a_usage_error(tmp_path, capsys, written, given):
    """Python's `utf-16`/`utf-32` decoders need a byte-order mark; without one the file is refused
    naming the -le/-be encodings to give (it used to be an internal error)."""
    src = tmp_path / "in.csv"
    src.write_bytes((HEADER + ROW).encode(written))
    assert 2 == main(["batch", str(src), "-o", str(tmp_path / "out.jsonl"), "-q", "--encoding", given])
    assert f"{given}-le" in capsys.readouterr().err
    assert 0 == main(["batch", str(src), "-o", str(tmp_path / "out.jsonl"), "-q", "--encoding", written,
                      "--backend", "python"])


# ---- a local time without an offset that the zone skips or repeats is not guessed --------------

SHANGHAI_ZONE = dttz.gettz("Asia/Shanghai")


@pytest.mark.parametrize(("text", "why"), [
    ("1988-04-17T02:30:00", "does not exist"),  # China's clocks went from 02:00 to 03:00
    ("1988-09-11T01:30:00", "happened twice"),  # … and from 02:00 back to 01:00
])
def test_a_local_time_the_zone_skips_or_repeats_is_refused(text, why):
    """A timestamp without an offset that falls in a daylight-saving gap (never shown on a clock) or
    overlap (shown twice) is refused naming the field; it used to be read as +08:00 or +09:00."""
    facts = copy.deepcopy(GOOD)
    facts["filings"][0]["submitted_at"] = text
    facts["filings"][0]["review"] = {"status": "pending"}
    engine = qnwmh_rules.load_ruleset(term="2017-2018", backend="python")
    with pytest.raises(FactsError) as info:
        engine.evaluate(facts)
    assert ("filings[0].submitted_at", True) == (info.value.field, why in info.value.message)
    with pytest.raises(FactsError) as info:
        engine.evaluate(GOOD, as_of=text)
    assert "as_of" == info.value.field
    with pytest.raises(FactsError):
        engine.evaluate(GOOD, as_of=dt.datetime.fromisoformat(text))


@settings(max_examples=300, deadline=None)
@given(moment=st.builds(dt.datetime, st.integers(1986, 1991), st.sampled_from([4, 9]), st.integers(1, 30),
                        st.integers(0, 3), st.integers(0, 59)))  # the nights China's clocks changed
def test_a_naive_moment_is_read_as_the_one_instant_its_wall_time_names(moment):
    """Any naive moment around China's daylight-saving years is refused, or read as an instant that
    shows exactly that wall time in the zone and that no other offset could also name."""
    try:
        read = parse_timestamp(moment.isoformat(), "t", SHANGHAI_ZONE)
    except FactsError:
        assert not dttz.datetime_exists(moment, SHANGHAI_ZONE) or dttz.datetime_ambiguous(moment, SHANGHAI_ZONE)
        return
    back = read.astimezone(dt.UTC).astimezone(SHANGHAI_ZONE)
    assert moment == back.replace(tzinfo=None)
    assert not dttz.datetime_ambiguous(moment, SHANGHAI_ZONE)


def test_an_offset_settles_a_repeated_local_time():
    """With its offset, a time the zone repeats is one instant and is read."""
    assert dt.timedelta(hours=9) == parse_timestamp("1988-09-11T01:30:00+09:00", "t", SHANGHAI_ZONE).utcoffset()


# ---- closed standard streams -------------------------------------------------------------------

def _shell(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, timeout=120)


def test_a_closed_stderr_never_sends_messages_into_the_output(tmp_path):
    """`batch X 2>&-` writes every verdict line and nothing else to stdout (the error about stderr
    used to be printed into the output instead of the verdicts)."""
    src = tmp_path / "in.jsonl"
    src.write_text(LINE * 3, encoding="utf-8")
    r = _shell(f"{sys.executable} -m qnwmh_rules.cli batch {src} --backend python 2>&-")
    assert (0, [1, 2, 3]) == (r.returncode, [json.loads(x)["line"] for x in r.stdout.splitlines()])


@pytest.mark.parametrize("command", ["batch - -q", "evaluate -", "why-not -"])
def test_a_closed_stdin_is_a_usage_error(command):
    """Reading `-` with stdin closed is refused with one line and status 2, not an internal error."""
    r = _shell(f"{sys.executable} -m qnwmh_rules.cli {command} --backend python <&-")
    assert (2, True) == (r.returncode, b"stdin is closed" in r.stderr)


@pytest.mark.parametrize("command", [f"batch {EXAMPLE.parent / 'unit-gd.json'} -q", f"evaluate {EXAMPLE}"])
def test_a_closed_stdout_is_a_usage_error(command):
    """Writing to stdout with stdout closed is refused with one line and status 2."""
    r = _shell(f"{sys.executable} -m qnwmh_rules.cli {command} --backend python >&-")
    assert (2, True) == (r.returncode, b"stdout is closed" in r.stderr)



# ---- a worker that dies does not hang the batch ---------------------------------------------------

def _worker_pids(parent: int) -> list[int]:
    """The batch's worker processes: its children (forked on Linux, spawned elsewhere), without
    multiprocessing's resource tracker."""
    found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
    workers = []
    for pid in found:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        if b"resource_tracker" not in cmdline:
            workers.append(int(pid))
    return workers


def _both_workers(pid: int) -> list[int]:
    """The two worker processes of the batch ``pid``, once both have started (at most a minute)."""
    deadline, workers = time.monotonic() + 60, []
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _worker_pids(pid)
    return workers


def test_a_batch_whose_worker_is_killed_stops_with_one_line_instead_of_hanging(tmp_path):
    """A worker killed (the out-of-memory killer, a crash in the C engine) used to leave the batch
    waiting forever for its chunk; now the command stops with one line naming the first record not
    evaluated, status 3, and whole lines of the records before it."""
    out = tmp_path / "out.jsonl"
    p = subprocess.Popen([sys.executable, "-m", "qnwmh_rules.cli", "batch", "-", "-o", str(out), "--workers", "2",
                          "--backend", "python", "-q"], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    stop = threading.Event()

    def feed():  # records keep coming faster than they are evaluated: every worker always holds a chunk
        try:
            while not stop.is_set():
                p.stdin.write((LINE * 200).encode("utf-8"))
                p.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):  # the batch stopped reading: it saw the dead worker
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + 60
        while (not out.exists() or out.stat().st_size == 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(_worker_pids(p.pid)[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        err = p.stderr.read() if p.poll() is not None else b""
    finally:
        stop.set()
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=60)
        writer.join(timeout=10)
    assert 3 == p.returncode
    assert 1 == len(err.decode().splitlines()) and "worker" in err.decode()
    lines = [json.loads(x)["line"] for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines == list(range(1, len(lines) + 1))
    first = int(err.decode().split("stopped at line ")[1].split(":")[0])
    assert len(lines) + 1 == first


def test_a_batch_whose_idle_worker_is_killed_ends_when_its_input_ends(tmp_path):
    """A worker killed while it waits for work (it may hold the task queue's read lock) used to hang the
    batch for ever at shutdown (Pool.terminate waits for that lock); the batch now ends: with status 3 and
    one line when it sees the dead worker, or with status 0 and every record when the other worker took
    the work (an idle worker held no records)."""
    out = tmp_path / "out.jsonl"
    p = subprocess.Popen([sys.executable, "-m", "qnwmh_rules.cli", "batch", "-", "-o", str(out), "--workers", "2",
                          "--backend", "python", "-q"], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        p.stdin.write((LINE * 401).encode("utf-8"))  # two chunks go out; the input stays open: workers wait
        p.stdin.flush()
        workers = _both_workers(p.pid)
        time.sleep(3)  # both started, evaluated what they were given, and wait for more
        os.kill(int(workers[0]), signal.SIGKILL)
        p.stdin.close()
        p.wait(timeout=60)
        err = p.stderr.read().decode()
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    lines = [json.loads(x)["line"] for x in out.read_text(encoding="utf-8").splitlines()]
    if p.returncode == 0:
        assert list(range(1, 402)) == lines
    else:
        assert (3, True, list(range(1, len(lines) + 1))) == (p.returncode, "worker" in err, lines)


@pytest.mark.parametrize("which", [0, 1])
def test_a_batch_whose_idle_worker_is_killed_while_the_input_is_still_open_ends(tmp_path, which):
    """A worker killed while idle, with the input still open (the main thread blocked reading stdin): the
    standard pool forked a replacement from its own thread, which then waited for ever on the stdin lock
    the main thread held at the fork, and the batch hung at its end (3 runs in 6). No replacement is
    started: the batch ends, with one line and status 3 or with every record and status 0."""
    out = tmp_path / "out.jsonl"
    p = subprocess.Popen([sys.executable, "-m", "qnwmh_rules.cli", "batch", "-", "-o", str(out), "--workers", "2",
                          "--backend", "python", "-q"], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        p.stdin.write(LINE.encode("utf-8"))
        p.stdin.flush()
        workers = _both_workers(p.pid)
        time.sleep(2)  # both wait for work; the main thread waits on stdin
        os.kill(sorted(workers)[which], signal.SIGKILL)
        time.sleep(1.5)  # the standard pool replaced the dead worker here, forking while stdin was locked
        p.stdin.write((LINE * 300).encode("utf-8"))
        p.stdin.close()
        p.wait(timeout=60)
        err = p.stderr.read().decode()
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)
    lines = [json.loads(x)["line"] for x in out.read_text(encoding="utf-8").splitlines()]
    if p.returncode == 0:
        assert ("", list(range(1, 302))) == (err, lines)
    else:
        assert (3, 1, True, list(range(1, len(lines) + 1))) == \
            (p.returncode, len(err.splitlines()), "worker" in err, lines)
