"""Batch evaluation: order kept, bad records reported by line and id, nothing dropped."""

import json

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
    """`batch` writes one JSON line per record and a summary with counts by outcome and failed rule."""
    path = _lines(tmp_path)
    assert 0 == main(["batch", str(path), "-o", str(tmp_path / "out.jsonl")])
    assert 32 == len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())
    err = capsys.readouterr().err
    assert "32 records: 30 verdicts, 2 bad records" in err and "basic.members_range" in err
