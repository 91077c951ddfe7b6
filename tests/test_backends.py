"""Backend choice: "auto" picks durable where it imports, authoring never imports it, and no warning escapes."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import qnwmh_rules
from qnwmh_rules import BackendUnavailableError
from qnwmh_rules._api import BACKENDS, durable_available, load_ruleset_cached, resolve_backend

from .conftest import EXAMPLE, ROOT

RULESETS = ROOT / "rulesets"

# Runs qnwmh-rules commands in a fresh interpreter and prints, as JSON, each one's exit code,
# output, and whether any durable module was imported. With BLOCK, durable cannot be imported
# at all (as on Python 3.13), whatever is installed.
_SCRIPT = textwrap.dedent("""
    import contextlib, io, json, sys
    if sys.argv[1] == "1":
        for name in ("durable", "durable.engine", "durable_rules_engine"):
            sys.modules[name] = None  # `import durable` now raises ImportError
    from qnwmh_rules.cli import main
    results = []
    for argv in json.loads(sys.argv[2]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(argv)
            except SystemExit as exc:
                rc = exc.code
        loaded = sorted(m for m, v in sys.modules.items() if v is not None and m.split(".")[0] in
                        ("durable", "durable_rules_engine"))
        results.append({"argv": argv, "rc": rc, "out": out.getvalue(), "err": err.getvalue(), "durable": loaded})
    print(json.dumps(results))
""")


def _run(commands, *, block, env=None, flags=()):
    proc = subprocess.run([sys.executable, *flags, "-c", _SCRIPT, "1" if block else "0", json.dumps(commands)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, **(env or {})})
    assert 0 == proc.returncode, proc.stderr
    return proc.stdout, proc.stderr


def _authoring(tmp_path):
    shutil.copy(RULESETS / "2017-2018" / "national.yaml", tmp_path / "national.yaml")
    return [
        ["check", str(RULESETS / "2017-2018")],
        ["list"],
        ["diff", "2011-2012", "2017-2018"],
        ["docs", "2017-2018:guangdong"],
        ["release", str(tmp_path / "national.yaml")],
        ["test", str(RULESETS / "2017-2018" / "national.cases.yaml"), "--backend", "python"],
    ]


def test_authoring_commands_never_import_durable(tmp_path):
    """list, diff, docs and `test --backend python` never import durable, even where it imports; check and
    release import it only to ask whether it takes the compiled rules (Q306) where it is installed, and succeed."""
    probing = {"check", "release"}
    commands = _authoring(tmp_path)
    # the modules imported accumulate in one interpreter: the commands that never import durable run first
    ordered = [c for c in commands if c[0] not in probing] + [c for c in commands if c[0] in probing]
    out, _ = _run(ordered, block=False)
    assert [(c[0], 0, c[0] in probing and durable_available()) for c in ordered] == \
        [(r["argv"][0], r["rc"], bool(r["durable"])) for r in json.loads(out)]


def test_every_command_works_where_durable_cannot_be_imported(tmp_path):
    """With durable unimportable (as on 3.13) authoring works; evaluate, batch, why-not and test use python."""
    facts = str(EXAMPLE)
    (tmp_path / "in.jsonl").write_text(EXAMPLE.read_text(encoding="utf-8").replace("\n", "") + "\n", encoding="utf-8")
    commands = _authoring(tmp_path) + [
        ["evaluate", "--region", "guangdong", facts],
        ["why-not", facts],
        ["batch", str(tmp_path / "in.jsonl"), "-q"],
        ["test", str(RULESETS / "2017-2018" / "guangdong.cases.yaml")],
    ]
    results = json.loads(_run(commands, block=True)[0])
    assert [(r["argv"][0], 0) for r in results] == [(r["argv"][0], r["rc"]) for r in results]
    assert "python" == json.loads(results[len(commands) - 4]["out"])["stamp"]["engine"]
    assert "python" == json.loads(results[len(commands) - 2]["out"])["verdict"]["stamp"]["engine"]


def test_asking_for_durable_where_it_cannot_be_imported_is_one_line():
    """`--backend durable` without durable: exit 2 and one line naming the cause and the way out, no traceback."""
    results = json.loads(_run([["evaluate", "--backend", "durable", str(EXAMPLE)]], block=True)[0])
    err = results[0]["err"]
    assert (2, 1) == (results[0]["rc"], len(err.splitlines()))
    assert err.startswith("qnwmh-rules: the durable backend is not available on Python ")
    assert "use backend 'python' or 'auto'" in err and "Traceback" not in err


def test_the_api_refuses_durable_where_it_cannot_be_imported(monkeypatch):
    """load_ruleset/evaluate with backend='durable' raise BackendUnavailableError; 'auto' gives a python verdict."""
    monkeypatch.setattr(qnwmh_rules._catalogue, "_durable_import_error",
                        lambda: "ImportError: No module named 'durable'")
    with pytest.raises(BackendUnavailableError, match="No module named 'durable'"):
        qnwmh_rules.load_ruleset(term="2017-2018", backend="durable")
    with pytest.raises(BackendUnavailableError):
        qnwmh_rules.evaluate({"id": "x"}, backend="durable")
    assert "python" == qnwmh_rules.load_ruleset(term="2017-2018").backend
    assert "python" == qnwmh_rules.evaluate(json.loads(EXAMPLE.read_text(encoding="utf-8"))).stamp.engine


def test_auto_is_durable_exactly_where_durable_imports(good_facts):
    """The default backend is durable where durable_rules imports and python elsewhere; the stamp names the one used."""
    expected = "durable" if durable_available() else "python"
    assert expected == resolve_backend("auto")
    assert expected == qnwmh_rules.load_ruleset(term="2017-2018").backend
    assert expected == qnwmh_rules.evaluate(good_facts).stamp.engine
    assert "python" == qnwmh_rules.evaluate(good_facts, backend="python").stamp.engine


def test_durable_imports_on_3_11_and_3_12():
    """durable_rules is installed and imports on every Python before 3.13 (the environment marker's promise)."""
    assert (sys.version_info < (3, 13)) == durable_available()


def test_unknown_backend_is_refused():
    """Only auto, durable and python exist."""
    assert ("auto", "durable", "python") == BACKENDS
    with pytest.raises(ValueError, match="backend"):
        qnwmh_rules.load_ruleset(term="2017-2018", backend="drools")


def test_a_verdict_under_warnings_as_errors():
    """Under `-W error` verdicts still come (durable's DeprecationWarning on 3.12 stays inside the adapter)."""
    script = textwrap.dedent(f"""
        import json, warnings
        import qnwmh_rules
        facts = json.loads(open({str(EXAMPLE)!r}, encoding="utf-8").read())
        for backend in ("auto", "python"):
            v = qnwmh_rules.evaluate(facts, region="guangdong", backend=backend)
            print(v.stamp.engine, v.outcome)
        warnings.warn("still an error outside the adapter", DeprecationWarning)
    """)
    proc = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, timeout=120)
    engine = "durable" if durable_available() else "python"
    assert [f"{engine} eligible", "python eligible"] == proc.stdout.splitlines()
    assert "DeprecationWarning: still an error outside the adapter" in proc.stderr


def test_replay_reuses_the_engine_of_the_same_ruleset_content(tmp_path):
    """Loading the same ruleset content again reuses its engine; a changed file gets a new one."""
    p = tmp_path / "national.yaml"
    shutil.copy(RULESETS / "2017-2018" / "national.yaml", p)
    first = load_ruleset_cached(p)
    assert first is load_ruleset_cached(p)
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace(f"version: {first.ruleset.version}", "version: 9.9.9"), encoding="utf-8")
    assert text != p.read_text(encoding="utf-8")
    assert first is not load_ruleset_cached(p)


def test_replay_of_many_verdicts_builds_one_engine(good_facts, monkeypatch):
    """replay() of the same ruleset builds its engine once, not once per call."""
    built = []
    real = qnwmh_rules._api.Engine.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        real(self, *args, **kwargs)

    verdict = qnwmh_rules.evaluate(good_facts, region="guangdong", as_of="2017-09-20")
    qnwmh_rules.replay(verdict.to_dict(), good_facts)  # the cache may be cold: build it now
    monkeypatch.setattr(qnwmh_rules._api.Engine, "__init__", counting)
    reports = [qnwmh_rules.replay(verdict.to_dict(), good_facts) for _ in range(5)]
    assert ([], [True] * 5) == (built, [r.identical for r in reports])


def test_a_durable_verdict_replays_where_durable_cannot_be_imported(good_facts, monkeypatch):
    """A verdict stamped durable replays with the python backend where durable is absent, said in a note."""
    verdict = qnwmh_rules.evaluate(good_facts, region="guangdong", as_of="2017-09-20")
    doc = verdict.to_dict()
    doc["stamp"]["engine"] = "durable"
    monkeypatch.setattr(qnwmh_rules._catalogue, "_durable_import_error", lambda: "ImportError: none here")
    report = qnwmh_rules.replay(doc, good_facts)
    assert (True, ("the stamp names the durable engine, which does not import on this Python; replayed with the "
                   "python backend",)) == (report.identical, report.notes)


def test_the_readme_states_the_supported_pythons():
    """requires-python and the README agree: CPython 3.11 and later, durable on 3.11 and 3.12."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in pyproject
    assert "\"durable-rules==2.0.28; python_version < '3.13'\"" in pyproject
    assert "CPython 3.11 and later" in readme and "3.13" in readme and "python backend" in readme


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "qnwmh_rules").glob("*.py")))
def test_only_the_adapter_imports_durable(path):
    """No module but _engine imports durable (so a missing durable only matters where an engine is built)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    imports = [line for line in text.splitlines() if line.lstrip().startswith(("import durable", "from durable"))]
    assert (path.endswith("_engine.py")) == bool(imports)


def test_the_engine_module_is_only_imported_by_the_backend_choice():
    """Only _api and _catalogue refer to _engine, inside the backend choice; nothing imports it at module level."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "qnwmh_rules").glob("*.py")}
    users = sorted(name for name, text in texts.items() if "_engine import" in text or "import _engine" in text)
    assert ["_api.py", "_catalogue.py"] == users
    top = [line for name in users for line in texts[name].splitlines()
           if line.startswith(("from ._engine", "from . import _engine", "import"))]
    assert [] == [line for line in top if "_engine" in line]


def test_the_engine_cache_survives_threads_loading_more_rulesets_than_it_keeps(tmp_path):
    """Several threads loading more distinct rulesets than the cache keeps (so that they evict at once)
    each get an engine of the file they named, and no thread fails."""
    import threading

    from qnwmh_rules import _api

    source = (RULESETS / "2017-2018" / "national.yaml").read_text(encoding="utf-8")
    version = qnwmh_rules.load_ruleset(RULESETS / "2017-2018" / "national.yaml", backend="python").ruleset.version
    paths = []
    for i in range(_api._ENGINE_CACHE_SIZE + 8):
        p = tmp_path / f"v{i}" / "national.yaml"
        p.parent.mkdir()
        p.write_text(source.replace(f"version: {version}", f"version: 9.{i}.0"), encoding="utf-8")
        paths.append(p)
    failures, results = [], []

    def work(offset):
        try:
            for k in range(len(paths)):
                p = paths[(k + offset) % len(paths)]
                results.append((p.parent.name, load_ruleset_cached(p, backend="python").ruleset.version))
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is the finding
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n * 3,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ([], 4 * len(paths)) == (failures, len(results))
    assert [] == [(name, got) for name, got in results if got != f"9.{name[1:]}.0"]
    assert len(_api._ENGINE_CACHE) <= _api._ENGINE_CACHE_SIZE
