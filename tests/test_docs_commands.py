"""The command examples of README.md and docs/*.md are run, and their shown output compared.

Every fenced ``sh`` or ``console`` block of those files is collected (see ``BLOCKS``):

* in a ``console`` block, a line starting with ``$ `` is a command and the lines after it,
  up to the next command, are the output the doc shows (stdout and stderr, as a terminal
  would show them); a line that is only ``…`` stands for any number of lines left out, and
  ``…`` inside a line for any text left out of that line;
* in an ``sh`` block every line is a command, and no output is shown;
* a command whose doc shows no output must exit with code 0.

The commands of one document run in order, in one scratch folder per document that holds a
copy of the repository's ``rulesets/``, with the ``qnwmh-rules`` of this Python first on
``PATH``. An HTML comment right before a fence can say what the block needs:

* ``<!-- docs-test: skip REASON -->``: not run (the README's Quick start builds a virtual
  environment; ``.ci/run`` runs it);
* ``<!-- docs-test: write PATH -->`` before a non-shell block: the block is that file's content;
* ``<!-- docs-test: excerpt-of PATH -->`` before a block: the block is what the file made by
  the commands before it holds, with ``…`` for what it leaves out;
* ``<!-- docs-test: edit PATH drop NAME | NAME -->`` before a YAML block of cases: those cases
  are removed from the file and the block is appended to it;
* ``<!-- docs-test: setup`` … ``-->``: shell commands, run before the next block, that make
  what the prose describes (a changed facts file, a damaged log); ``$DOCS_TEST_ROOT`` is the
  repository (to take a fresh copy of its ``rulesets/``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qnwmh_rules._api import durable_available

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^( {0,8})(`{3,}|~{3,})([\w-]*)\s*$")  # indented in a list item, or ~~~
_DIRECTIVE = re.compile(r"<!--\s*docs-test:\s*(.*?)\s*-->", re.S)


@dataclass
class Block:
    """One fenced block: where it is, its language, its text and the directive before it."""

    doc: Path
    line: int
    lang: str
    text: str
    directive: str | None
    setup: list[str] = field(default_factory=list)

    @property
    def ident(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def read_blocks(doc: Path) -> list[Block]:
    """Every fenced block of ``doc`` with the ``docs-test`` directives written before it."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    pending: str | None = None
    setup: list[str] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if lines[i].lstrip().startswith("<!--"):
            j = i
            while "-->" not in lines[j]:
                j += 1
            comment = "\n".join(lines[i:j + 1])
            d = _DIRECTIVE.search(comment)
            if d:
                body = d.group(1)
                if body.startswith("setup"):
                    setup.extend(x for x in body[len("setup"):].strip().splitlines() if x.strip())
                else:
                    pending = body
            i = j + 1
            continue
        if m:
            indent, fence, lang = m.groups()
            j = i + 1
            while not lines[j].lstrip(" ").startswith(fence):
                j += 1
            body = [line[len(indent):] if line.startswith(indent) else line.lstrip(" ") for line in lines[i + 1:j]]
            out.append(Block(doc, i + 1, lang, "\n".join(body) + "\n", pending, setup))
            pending, setup = None, []
            i = j + 1
            continue
        if lines[i].strip():
            pending = None  # a directive belongs to the fence right after it
        i += 1
    return out


ALL_BLOCKS = [b for d in DOCS for b in read_blocks(d)]
BLOCKS = [b for b in ALL_BLOCKS if b.lang in ("sh", "console") or (b.directive or "").startswith("excerpt-of ")]


def commands(block: Block) -> list[tuple[str, str | None]]:
    """(command, shown output or None) of a shell block."""
    out: list[tuple[str, str | None]] = []
    if block.lang == "sh":
        text = block.text.replace("\\\n", "")
        return [(line, None) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    cmd: str | None = None
    shown: list[str] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            if cmd is not None:
                out.append((cmd, "\n".join(shown) if shown else None))
            cmd, shown = line[2:], []
        else:
            assert cmd is not None, f"{block.ident}: output before the first command"
            shown.append(line)
    if cmd is not None:
        out.append((cmd, "\n".join(shown) if shown else None))
    return out


def matches(shown: str, actual: str) -> bool:
    """Whether ``actual`` is ``shown`` with ``…`` standing for text left out."""
    parts = []
    for line in shown.rstrip("\n").split("\n"):
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(r"[^\n]*?".join(re.escape(p) for p in line.rstrip().split("…")) + r"[ \t]*\n")
    text = "\n".join(x.rstrip() for x in actual.rstrip("\n").split("\n")) + "\n"
    return re.fullmatch("".join(parts), text) is not None


# The docs show the engine of record (durable_rules). Where it does not import (CPython 3.13+),
# `backend="auto"` is the python backend, whose name the outputs carry instead, and rows of a
# per-backend table (`durable | …`) cannot be printed: both are expected accordingly.
_DURABLE_HERE = durable_available()
_ENGINE_NAMES = (('"engine": "durable"', '"engine": "python"'), ("引擎：durable", "引擎：python"),
                 ("engine: durable", "engine: python"), (" rules, durable)>", " rules, python)>"))


def for_this_python(shown: str) -> str:
    """What ``shown`` (the output on the engine of record) is on this Python."""
    if _DURABLE_HERE:
        return shown
    for theirs, ours in _ENGINE_NAMES:
        shown = shown.replace(theirs, ours)
    return "\n".join(line for line in shown.split("\n") if not line.startswith("durable | "))


class DocRun:
    """The scratch folder of one document and how far its blocks have run."""

    def __init__(self, where: Path) -> None:
        self.where = where
        shutil.copytree(ROOT / "rulesets", where / "rulesets")
        self.done = -1
        self.env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                        PYTHONUNBUFFERED="1", COLUMNS="100", LC_ALL="C.UTF-8",
                        DOCS_TEST_ROOT=str(ROOT))

    def sh(self, cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=self.where, env=self.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)

    def run(self, block: Block, compare: bool) -> None:
        for cmd in block.setup:
            r = self.sh(cmd)
            assert 0 == r.returncode, f"{block.ident}: setup `{cmd}` failed:\n{r.stdout}"
        d = block.directive or ""
        if d.startswith("skip"):
            return
        if block.lang not in ("sh", "console"):
            if d.startswith("write "):
                path = self.where / d.split(None, 1)[1]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(block.text, encoding="utf-8")
            elif d.startswith("excerpt-of "):
                path = self.where / d.split(None, 1)[1]
                assert matches(for_this_python(block.text), path.read_text(encoding="utf-8")), (
                    f"{block.ident}: this excerpt is not what {path.name} holds:\n{path.read_text(encoding='utf-8')}")
            elif d.startswith("edit "):
                target, _, names = d[len("edit "):].partition(" drop ")
                path = self.where / target.strip()
                drop = {n.strip() for n in names.split("|")}
                items = re.split(r"(?m)^(?=- name: )", path.read_text(encoding="utf-8"))
                kept = [it for it in items if not (it.startswith("- name: ")
                                                   and it[len("- name: "):].split("\n")[0].strip() in drop)]
                assert len(items) - len(drop) == len(kept), f"{block.ident}: not every case to drop was found"
                path.write_text("".join(kept).rstrip("\n") + "\n\n" + block.text, encoding="utf-8")
            return
        for cmd, shown in commands(block):
            r = self.sh(cmd)
            if not compare:
                continue
            if shown is None:
                assert 0 == r.returncode, f"{block.ident}: `{cmd}` exited {r.returncode}:\n{r.stdout}"
            else:
                shown = for_this_python(shown)
                assert matches(shown, r.stdout), (
                    f"{block.ident}: `{cmd}` printed something else than the doc shows.\n"
                    f"--- shown\n{shown}\n--- printed (exit {r.returncode})\n{r.stdout}")


_RUNS: dict[Path, DocRun] = {}


@pytest.mark.parametrize("block", BLOCKS, ids=[b.ident for b in BLOCKS])
def test_doc_block_runs_as_shown(block: Block, tmp_path_factory: Any) -> None:
    """A command block of the docs runs and prints what the doc shows."""
    run = _RUNS.get(block.doc)
    if run is None:
        run = _RUNS[block.doc] = DocRun(tmp_path_factory.mktemp(block.doc.stem))
    doc_blocks = [b for b in ALL_BLOCKS if b.doc == block.doc]
    index = doc_blocks.index(block)
    for earlier in doc_blocks[run.done + 1:index]:  # what came before in the doc, as a reader did it
        run.run(earlier, compare=False)
    run.done = index
    run.run(block, compare=True)


def test_every_qnwmh_command_in_the_docs_is_in_a_run_block() -> None:
    """No `qnwmh-rules` command example sits in a block the collector does not run."""
    stray = [b.ident for b in ALL_BLOCKS
             if (b.lang not in ("sh", "console", "python", "text") and re.search(r"^\$?\s*qnwmh-rules ", b.text, re.M))
             or (b.lang == "text" and re.search(r"^\$ ", b.text, re.M))]
    stray += [b.ident for b in BLOCKS if (b.directive or "").startswith("skip") and len(b.directive or "") < 10]
    assert [] == stray


def test_shown_output_elides_only_with_an_ellipsis() -> None:
    """`…` stands for left-out lines or text; any other difference is a mismatch."""
    printed = "a 1\nb 2\nc 3\n"
    assert [True, True, True, False, False, False] == [
        matches("a 1\n…\nc 3", printed), matches("a …\nb 2\nc 3", printed), matches("…\nc 3", printed),
        matches("a 1\nc 3", printed), matches("a 1\nb 2", printed), matches("a 1\nb 9\nc 3", printed)]


def test_the_collector_finds_every_shell_block() -> None:
    """Every ```sh and ```console fence of README.md and docs/*.md is collected, indented or ~~~ too."""
    fences = sum(len(re.findall(r"(?m)^[ \t]*(?:```|~~~)(?:sh|console)\s*$", d.read_text(encoding="utf-8")))
                 for d in DOCS)
    assert fences == len([b for b in BLOCKS if b.lang in ("sh", "console")])


def test_the_integrators_guide_lists_exactly_the_public_api() -> None:
    """docs/integrators.md names every name of `qnwmh_rules.__all__` in its public-API paragraph, and no other."""
    import qnwmh_rules

    text = (ROOT / "docs" / "integrators.md").read_text(encoding="utf-8")
    start = text.index("The public API is what `qnwmh_rules.__all__` lists:")
    paragraph = text[start:text.index("Modules whose names start with", start)].split(":", 1)[1]
    assert sorted(qnwmh_rules.__all__) == sorted(set(re.findall(r"`(\w+)`", paragraph)))


def test_the_integrators_guide_shows_the_signatures_of_evaluate_and_load_ruleset() -> None:
    """The signatures docs/integrators.md gives for `evaluate` and `load_ruleset` are the real ones."""
    import inspect

    import qnwmh_rules

    text = (ROOT / "docs" / "integrators.md").read_text(encoding="utf-8")
    for name in ("evaluate", "load_ruleset"):
        sig = inspect.signature(getattr(qnwmh_rules, name))
        params = []
        for p in sig.parameters.values():
            if p.kind is p.KEYWORD_ONLY and "*" not in params:
                params.append("*")
            params.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}".replace("'", '"'))
        assert f"{name}({', '.join(params)})" in text


def test_the_collector_reads_indented_and_tilde_fences(tmp_path) -> None:
    """A console block indented in a list item, or fenced with ~~~, is collected with its text unindented
    (they were not collected, so their commands never ran and their outputs could drift)."""
    doc = tmp_path / "x.md"
    doc.write_text("1. Run it:\n\n   ```console\n   $ qnwmh-rules list\n   2017-2018\tnational\n   ```\n\n"
                   "~~~sh\nqnwmh-rules list\n~~~\n", encoding="utf-8")
    assert [("console", "$ qnwmh-rules list\n2017-2018\tnational\n"), ("sh", "qnwmh-rules list\n")] == [
        (b.lang, b.text) for b in read_blocks(doc)]
