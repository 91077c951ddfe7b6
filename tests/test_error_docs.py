"""The pages in docs/errors/ agree with the library: codes, messages and fixes."""

# Page conventions (see any docs/errors/Q*.md):
#
# - the first line is `# Qnnn: title`; docs/errors/index.md lists `[Qnnn](Qnnn.md): title`;
# - the ```yaml title="bad" block is the file that is loaded, written as `demo.yaml` (or as
#   the name given by `file="..."`, which may include a folder; a `*.cases.yaml` file is read as golden cases), in the
#   encoding given by `encoding="..."` (UTF-8 by default);
# - the first ```text block is `str(exc)` with the directory of the file removed;
# - the ```yaml title="fixed" block replaces the bad file for the fixed run (if absent, the bad
#   file stays as it is);
# - a block titled with a file name (`title="national.yaml"`) is written beside the loaded
#   file for both runs; `title="fixed national.yaml"` replaces it in the fixed run.
#
# Q010 (file not found) has no bad block: its bad run loads a `demo.yaml` that does not exist.

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import qnwmh_rules
from qnwmh_rules import FactsError, RulesetError

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "docs" / "errors"
FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
ATTR = re.compile(r'(\w+)="([^"]*)"')
TITLE = re.compile(r"^# (Q\d{3}): (.+)$")


def source_codes() -> list[str]:
    """Every error code written in the library's source."""
    codes: set[str] = set()
    for f in (ROOT / "qnwmh_rules").glob("*.py"):
        codes.update(c.strip('"') for c in re.findall(r'"Q\d{3}"', f.read_text(encoding="utf-8")))
    return sorted(codes)


def page_codes() -> list[str]:
    """Every code that has a page."""
    return sorted(p.stem for p in PAGES.glob("Q[0-9][0-9][0-9].md"))


def blocks(text: str) -> list[tuple[str, dict[str, str], str]]:
    """The fenced blocks of a page as (language, attributes, body)."""
    return [(m.group(1), dict(ATTR.findall(m.group(2))), m.group(3)) for m in FENCE.finditer(text)]


class Page:
    """One error page, parsed into its title, files and shown message."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.text = (PAGES / f"{code}.md").read_text(encoding="utf-8")
        self.blocks = blocks(self.text)
        titled = [(a["title"], a, body) for _, a, body in self.blocks if "title" in a]
        bad = [(a, body) for t, a, body in titled if t == "bad"]
        fixed = [body for t, _, body in titled if t == "fixed"]
        assert len(bad) <= 1 and len(fixed) <= 1, f"{code}: more than one bad or fixed block"
        self.bad_attrs, self.bad = bad[0] if bad else ({}, None)
        self.main = self.bad_attrs.get("file", "demo.yaml")
        self.fixed = fixed[0] if fixed else self.bad
        self.companions = {t: body for t, _, body in titled if t not in ("bad", "fixed") and " " not in t}
        self.fixed_companions = {**self.companions, **{t.split(" ", 1)[1]: body for t, _, body in titled
                                                       if t.startswith("fixed ")}}
        texts = [body for lang, _, body in self.blocks if lang == "text"]
        self.message = texts[0].rstrip("\n") if texts else None


def load(folder: Path, main: str, files: dict[str, str], body: str | None, encoding: str = "utf-8") -> None:
    """Write `files` and `body` (as `main`) into `folder` and load `main`."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    if body is not None:
        (folder / main).parent.mkdir(parents=True, exist_ok=True)
        (folder / main).write_bytes(body.encode(encoding))
    if main.endswith(".cases.yaml"):
        from qnwmh_rules._cases import read_cases

        read_cases(folder / main)
    else:
        qnwmh_rules.load_ruleset(folder / main)


def shown(exc: RulesetError, folder: Path) -> str:
    """`str(exc)` with the temporary folder removed, as the pages show it."""
    text = str(exc)
    for prefix in {str(folder) + os.sep, str(folder.resolve()) + os.sep}:
        text = text.replace(prefix, "")
    return text


@pytest.mark.parametrize("code", source_codes())
def test_every_code_in_the_source_has_a_page(code):
    """Each code raised by the library has docs/errors/<code>.md."""
    assert (PAGES / f"{code}.md").is_file(), f"no page docs/errors/{code}.md"


def test_every_page_is_for_a_code_the_library_raises():
    """No page documents a code that is gone from the source."""
    assert sorted(set(page_codes()) - set(source_codes())) == []


def test_index_lists_every_code_with_its_page_title():
    """docs/errors/index.md (and docs/errors.md) link every code's page under the page's title."""
    index = (PAGES / "index.md").read_text(encoding="utf-8")
    top = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for code in source_codes():
        if not (PAGES / f"{code}.md").is_file():
            continue  # reported by test_every_code_in_the_source_has_a_page
        m = TITLE.match(Page(code).text.splitlines()[0])
        assert m and m.group(1) == code, f"{code}.md must start with '# {code}: title'"
        assert f"- [{code}]({code}.md): {m.group(2)}\n" in index, f"index.md does not list {code}"
        assert f"- [{code}](errors/{code}.md): {m.group(2)}\n" in top, f"errors.md does not list {code}"
        assert index.count(f"[{code}]({code}.md)") == 1, f"index.md lists {code} more than once"
        assert top.count(f"[{code}](errors/{code}.md)") == 1, f"errors.md lists {code} more than once"
    assert "(facts.md)" in index


@pytest.mark.parametrize("code", page_codes())
def test_bad_example_raises_the_message_shown(code, tmp_path):
    """The page's bad file raises a RulesetError with the page's code and exactly its message."""
    page = Page(code)
    assert page.message is not None, f"{code}.md has no ```text block"
    assert page.bad is not None or code == "Q010", f'{code}.md has no ```yaml title="bad" block'
    folder = tmp_path / "bad"
    with pytest.raises(RulesetError) as info:
        load(folder, page.main, page.companions, page.bad, page.bad_attrs.get("encoding", "utf-8"))
    assert info.value.code == code, shown(info.value, folder)
    assert shown(info.value, folder) == page.message


@pytest.mark.parametrize("code", page_codes())
def test_fixed_example_loads(code, tmp_path):
    """The page's fix (its fixed file and fixed companions) loads without error."""
    page = Page(code)
    assert page.fixed is not None and (page.fixed != page.bad or page.fixed_companions != page.companions
                                       or "encoding" in page.bad_attrs), f"{code}.md shows no fix"
    load(tmp_path / "fixed", page.main, page.fixed_companions, page.fixed)


def test_facts_page_examples_raise_the_messages_shown(monkeypatch):
    """Each example on docs/errors/facts.md raises a FactsError with exactly the message shown."""
    monkeypatch.chdir(ROOT)
    found = blocks((PAGES / "facts.md").read_text(encoding="utf-8"))
    setup = [body for _, a, body in found if a.get("title") == "setup"]
    examples = [(body, found[i + 1]) for i, (_, a, body) in enumerate(found) if a.get("title") == "facts"]
    assert len(setup) == 1 and len(examples) >= 3
    for code, (lang, _, message) in examples:
        assert lang == "text"
        namespace: dict[str, object] = {}
        exec(setup[0], namespace)
        with pytest.raises(FactsError) as info:
            exec(code, namespace)
        assert str(info.value) == message.rstrip("\n")
        assert str(info.value).startswith(info.value.field + ": ")
