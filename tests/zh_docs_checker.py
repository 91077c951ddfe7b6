"""The zh docs page's KIND test: what a native reader of a league committee must not find on it.

``zh_page_faults(page, ruleset)`` lists every fault of these kinds (issue 13, reader review 84–93):
- a Latin run (a raw fact path such as ``members.total``, a parameter identifier such as
  ``members_min``, a JSON literal such as ``national``, ``day_after_birthday`` or ``CN``, an English
  sentence, ``Asia/Shanghai``) outside the allowlist below;
- an ISO date (``2017-09-30``) — dates read ``2017年9月30日``;
- an ASCII double quote (a JSON string as written) or a backtick (a Markdown code span);
- a 【】 group inside another 【】 group;
- the condition as written (``条件原文``), which is on the en page only.

ALLOWLIST (documented in docs/policy-guide.md, "The zh page"): the value after three labels —
``规则编号：`` (a rule's id, quoted by why-not, cases files and verdicts), ``规则集编号：`` (the
ruleset's id) and ``内容SHA-256校验值：`` (the content hash an auditor quotes) — and the word
``SHA-256`` itself.

SCOPED OUT: only verbatim quotations of the sources — the quoted clause texts, source titles and
references (a source may write a URL or a code, and a quotation is kept as written). Everything else,
the ruleset's own interpretations, parameter descriptions and source notes included, is checked.
"""

from __future__ import annotations

import re

from qnwmh_rules._render_docs import _text

LATIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[./@-][A-Za-z0-9_]+)*")
ISO_DATE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9])")
LABELLED = re.compile(r"(规则编号|规则集编号|内容SHA-256校验值)：\*\*[^\s|]+")
ALLOWED_WORDS = ("SHA-256",)


def ruleset_prose(rs) -> list[str]:
    """The verbatim quotations of the sources, as the page shows them, longest first."""
    # verbatim quotations of the sources (their clause texts, titles, references) are the sources' words,
    # kept as written; every text the ruleset itself says (interpretations, descriptions) is checked
    texts = [r.citation.text for r in rs.rules]
    for s in rs.sources:
        texts += [s.title.get("zh"), s.reference]
    crit = rs.creation_collective
    if crit is not None:
        texts += [crit.citation.text, crit.citation.source_title]
    shown = set()
    for t in texts:
        if t:
            shown.add(_text(t))
            shown.update(f"> {_text(line)}" for line in str(t).strip().splitlines())
    return sorted((t for t in shown if t.strip()), key=len, reverse=True)


def nested_groups(text: str) -> list[str]:
    """Each 【 opened inside another 【 (with what follows it)."""
    out, depth = [], 0
    for i, c in enumerate(text):
        if c == "【":
            depth += 1
            if depth > 1:
                out.append(text[i:i + 30])
        elif c == "】":
            depth = max(0, depth - 1)
    return out


def zh_faults(text: str) -> list[str]:
    """The faults of zh text the renderer wrote (no ruleset prose in it)."""
    faults = [f"nested 【】: {g}" for g in nested_groups(text)]
    if "条件原文：" in text:  # the label of a condition as written (a note may speak of a source's 条件原文)
        faults.append("condition text (条件原文)")
    faults += [f"ISO date: {m}" for m in ISO_DATE.findall(text)]
    faults += [f"ASCII quote or backtick near: {text[max(0, m.start() - 15):m.end() + 15]}"
               for m in re.finditer(r"[\"`]", text)]
    cleaned = LABELLED.sub("", text)
    for word in ALLOWED_WORDS:
        cleaned = cleaned.replace(word, "")
    faults += [f"Latin run: {m.group()} in …{cleaned[max(0, m.start() - 20):m.end() + 20]}…"
               for m in LATIN.finditer(cleaned)]
    return faults


def zh_page_faults(page: str, rs) -> list[str]:
    """The faults of a zh docs page of ``rs``, its own prose cut out first (see the module docstring)."""
    for t in ruleset_prose(rs):
        page = page.replace(t, "")
    return zh_faults(page)
