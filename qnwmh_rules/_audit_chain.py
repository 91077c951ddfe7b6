"""The audit log's hash chain: the hash (SHA-256 or HMAC-SHA-256), the genesis and entry
hash formulas, the head, and reading a chain to say where it broke and how.

Owns: ``AuditHead``, ``Hash`` (the formulas documented in ``_audit``), and ``diagnose`` —
given the chain rows as read, the number each entry was recorded as (its hash covers it),
and from that the entries ``edited``, ``replaced``, ``missing``, ``renumbered``,
``out of order`` and ``inserted``, rendered one line per problem (runs share a line).
Must not know verdicts, facts or the SQLite schema beyond the chain rows it is given
(``JOINED`` is the one query it runs, to re-read a row it needs to re-hash).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

import attrs

from .exceptions import FactsError

_CHAIN_TAG = "qnwmh-rules audit chain 1"
_GENESIS_TAG = "qnwmh-rules audit log"
_KEY_ID_MESSAGE = b"qnwmh-rules audit key id"
# Looking for the number an out-of-place entry was recorded under: how far from its present
# number, and how many hashes in all one verify may spend on it.
_SEARCH_WINDOW = 256
_SEARCH_BUDGET = 100_000
JOINED = ("SELECT c.seq, c.kind, c.note_json, c.prev_sha256, c.sha256, e.seq IS NOT NULL, e.recorded_at, "
           "e.verdict_json, e.facts_json FROM chain c LEFT JOIN entries e ON e.seq = c.seq")
_HEAD = re.compile(r"^\s*([0-9]+):([0-9a-f]{64})\s*$")


@attrs.frozen
class AuditHead:
    """The head of a log's chain: the last entry's ``seq`` and chain ``sha256``
    (``seq`` 0 and the genesis hash for an empty log). ``str(head)`` is ``SEQ:HASH``, the
    form ``verify(expect_head=...)`` and ``audit --verify --expect-head`` take back."""

    seq: int
    sha256: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.sha256}"

    @classmethod
    def parse(cls, text: str) -> AuditHead:
        """``SEQ:HASH`` (a whole number, a colon, 64 hex digits); ``FactsError`` otherwise."""
        m = _HEAD.match(text.lower()) if isinstance(text, str) else None
        if m is None:
            raise FactsError("expect_head", f"expected SEQ:HASH (as `audit --head` prints it, e.g. "
                                            f"12:3f9a…, 64 hex digits), got {text!r}")
        return cls(int(m.group(1)), m.group(2))


def key_id(key: bytes) -> str:
    """Names a key without revealing it: the first 16 hex digits of HMAC-SHA-256(key, "qnwmh-rules audit key id")."""
    return hmac.new(key, _KEY_ID_MESSAGE, hashlib.sha256).hexdigest()[:16]


class Hash:
    """H of the chain: SHA-256, or HMAC-SHA-256 with a key."""

    def __init__(self, key: bytes | None) -> None:
        self.key = key

    def __call__(self, data: bytes) -> str:
        if self.key is None:
            return hashlib.sha256(data).hexdigest()
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()

    def genesis(self, log_id: str, mode: str) -> str:
        return self(json.dumps([_GENESIS_TAG, log_id, mode], separators=(",", ":")).encode("utf-8"))

    def link(self, seq: int, kind: str, recorded_at: Any, verdict_json: Any, facts_json: Any, note_json: Any,
             prev: Any) -> str:
        return self(json.dumps([_CHAIN_TAG, seq, kind, recorded_at, verdict_json, facts_json, note_json, prev],
                               ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


@attrs.define
class Link:
    """One chain row as read by verify."""

    seq: int
    kind: str
    prev: Any
    sha: Any
    ok: bool | None  # its hash matches its contents at its own seq; None: cannot be checked
    orig: int | None = None  # the seq it was recorded as (None: edited beyond recognition)


@attrs.frozen
class Problem:
    seq: int
    kind: str
    detail: str
    orig: int | None = None  # for moved entries: the seq they were recorded as
    through: int | None = None  # the same problem for every entry from seq to this one


def render(problems: list[Problem]) -> list[str]:
    """One line per problem, in entry order; runs of consecutive entries with the same problem
    (and, for moved entries, the same shift) share a line."""
    groups: dict[tuple[str, str, bool], list[tuple[int, Problem]]] = {}
    for i, p in enumerate(problems):
        groups.setdefault((p.kind, p.detail, p.orig is None), []).append((i, p))
    lines: list[tuple[int, int, str]] = []
    for members in groups.values():
        members.sort(key=lambda m: m[1].seq)
        start = 0
        while start < len(members):
            end = start
            while end + 1 < len(members):
                a, b = members[end][1], members[end + 1][1]
                shift_differs = a.orig is not None and b.orig is not None and b.orig - b.seq != a.orig - a.seq
                if b.seq != (a.seq if a.through is None else a.through) + 1 or shift_differs:
                    break
                end += 1
            first, last = members[start][1], members[end][1]
            if last.through is not None:
                last = attrs.evolve(last, seq=last.through)
            if first.seq == last.seq:
                detail = first.detail if first.orig is None else f"{first.detail}it was recorded as entry {first.orig}"
                text = f"entry {first.seq}: {first.kind}: {detail}"
            else:
                detail = first.detail if first.orig is None else \
                    f"{first.detail}they were recorded as entries {first.orig}..{last.orig}"
                text = f"entries {first.seq}..{last.seq}: {first.kind}: {detail}"
            lines.append((first.seq, members[start][0], text))
            start = end + 1
    return [text for _, _, text in sorted(lines, key=lambda t: (t[0], t[2].split(": ")[1] != "missing", t[1]))]


def diagnose(conn: sqlite3.Connection, links: list[Link], h: Hash | None, genesis: str | None, given: int,
             search: bool, hints: dict[Any, int]) -> list[Problem]:
    """Where the chain breaks and how: the number each entry was recorded as (its hash covers
    it), then the entries missing, moved, inserted, edited, and links that do not hold.

    ``given`` is the highest number SQLite gave (``sqlite_sequence``); ``search`` allows
    looking for the numbers of moved entries; ``hints`` maps hashes to the numbers heads kept
    elsewhere say they had.
    """
    problems: list[Problem] = []
    by_sha: dict[Any, list[Link]] = {}
    for link in links:
        by_sha.setdefault(link.sha, []).append(link)
    cache: dict[int, tuple[Any, ...]] = {}
    budget = [_SEARCH_BUDGET]

    def valid_at(link: Link, seq: int) -> bool:
        if h is None or budget[0] <= 0 or seq < 1:
            return False
        budget[0] -= 1
        if link.seq not in cache:
            row = conn.execute(JOINED + " WHERE c.seq = ?", (link.seq,)).fetchone()
            cache[link.seq] = row
        _, kind, note, prev, sha, _, when, vj, fj = cache[link.seq]
        try:
            return bool(h.link(seq, kind, when, vj, fj, note, prev) == sha)
        except (TypeError, ValueError):
            return False

    for link in links:
        if link.ok is not False:
            link.orig = link.seq
    unresolved = [link for link in links if link.orig is None]
    referrers: dict[Any, list[Link]] = {}
    for link in links:
        referrers.setdefault(link.prev, []).append(link)
    at_seq = {link.seq: link for link in links}

    def try_orig(link: Link, candidates: Iterable[int]) -> bool:
        for c in candidates:
            if c != link.seq and valid_at(link, c):
                link.orig = c
                return True
        return False

    def propagate() -> None:
        # The number of an entry follows from its neighbours in the chain: one more than the entry
        # its prev names, one less than an entry that names it.
        progress = True
        while progress:
            progress = False
            for link in unresolved + unresolved[::-1]:
                if link.orig is not None:
                    continue
                candidates = [1] if genesis is not None and link.prev == genesis else []
                candidates += [p.orig + 1 for p in by_sha.get(link.prev, ()) if p is not link and p.orig is not None]
                candidates += [r.orig - 1 for r in referrers.get(link.sha, ()) if r is not link and r.orig is not None]
                progress = try_orig(link, candidates) or progress

    def in_place(link: Link) -> bool:
        """Chained to the entry now just before it, which is where it was recorded."""
        if link.seq == 1:
            return genesis is not None and link.prev == genesis
        before = at_seq.get(link.seq - 1)
        return before is not None and before.orig == before.seq and link.prev == before.sha

    def run_head(link: Link) -> bool:
        """Not chained to an unresolved entry just before it."""
        before = at_seq.get(link.seq - 1)
        return not (before is not None and before.orig is None and link.prev == before.sha)

    if search and h is not None:
        propagate()
        for link in unresolved:
            if link.orig is None and link.sha in hints:
                try_orig(link, [hints[link.sha]])
        propagate()
        top = max([given] + [link.seq for link in links])
        shift = given - max((link.seq for link in links), default=0)
        for link in unresolved:
            if link.orig is not None or in_place(link) or not run_head(link):
                continue
            window = ([link.seq + shift] if shift > 0 else []) + \
                [c for d in range(1, _SEARCH_WINDOW + 1) for c in (link.seq + d, link.seq - d)
                 if 1 <= c <= top + _SEARCH_WINDOW]
            if try_orig(link, window):
                propagate()

    run: list[Link] = []
    for link in links + [Link(-1, "", None, None, None)]:  # a sentinel closes the last run
        if link.orig is None and link.seq > 0 and run and not run_head(link):
            run.append(link)
            continue
        if len(run) > 1 and search and not in_place(run[0]):
            problems.extend(Problem(x.seq, "renumbered", "chained to one another but not to the entry before them, "
                                                         "with hashes that fit no number near theirs: entries before "
                                                         "them were deleted and these renumbered, or they were "
                                                         "rewritten") for x in run)
        else:
            for x in run:
                problems.append(Problem(x.seq, "edited", "its contents do not match its hash"
                                        + (" (HMAC with the given key)" if h and h.key else "")))
        run = [link] if link.orig is None and link.seq > 0 else []
    # The entries that claim each recorded number, and the one the chain continues from.
    claims: dict[int, list[Link]] = {}
    for link in links:
        if link.orig is not None:
            claims.setdefault(link.orig, []).append(link)
    reps: dict[int, Link] = {}
    for o, ls in claims.items():
        if len(ls) == 1:
            reps[o] = ls[0]
            continue
        nexts = {nx.prev for nx in claims.get(o + 1, ())}
        rep = next((x for x in ls if x.sha in nexts), None) or next((x for x in ls if x.seq == o), ls[0])
        reps[o] = rep
        for x in ls:
            if x is rep:
                continue
            what = f"a copy of entry {rep.seq}" if x.sha == rep.sha else \
                f"a second entry recorded as {o}; the chain continues from entry {rep.seq}"
            problems.append(Problem(x.seq, "inserted", what))
    # Moved entries: recorded under another number than the one they have now.
    known = [link for link in links if link.orig is not None]
    shifted = False
    for i, link in enumerate(known):
        if link.orig == link.seq or (link.orig in claims and reps[link.orig] is not link):
            continue
        before = known[i - 1].orig if i > 0 else None
        after = known[i + 1].orig if i + 1 < len(known) else None
        assert link.orig is not None
        disorder = (before is not None and before > link.orig) or (after is not None and after < link.orig)
        shifted = shifted or link.orig > link.seq
        problems.append(Problem(link.seq, "out of order" if disorder else "renumbered", "", orig=link.orig))
    # Missing: recorded numbers nobody holds (an edited entry holds its own number).
    occupied = set(claims) | {link.seq for link in links if link.orig is None}
    top = max([given] + list(occupied)) if occupied or given else 0
    last_held = max(occupied, default=0)
    held_now = {link.seq for link in links}
    # The gaps between the numbers held, one problem each (numbers may be far apart: never walk them).
    held = sorted(o for o in occupied | {o for o in held_now if o > last_held} if 1 <= o <= top)
    for lo, hi in zip([0] + held, held + [top + 1], strict=True):
        if hi - lo < 2:
            continue
        if lo >= last_held:
            detail = f"deleted from the end (numbers up to {top} were given, the chain ends at entry {last_held})"
        elif shifted:
            detail = "no entry recorded with this number is left (the entries after it were renumbered)"
        else:
            detail = "deleted"
        problems.append(Problem(lo + 1, "missing", detail, through=hi - 1 if hi - 1 > lo + 1 else None))
    # Links: each entry must be chained to the entry recorded just before it.
    edited_at = {link.seq: link for link in links if link.orig is None}
    for o in sorted(reps):
        rep = reps[o]
        if o == 1:
            if genesis is not None and rep.prev != genesis:
                problems.append(Problem(rep.seq, "replaced", "it is not chained to the start of this log (entry 1 "
                                                              "was forged, or the log's header was changed)"))
            continue
        before_link = reps.get(o - 1) or edited_at.get(o - 1)
        if before_link is None or rep.prev == before_link.sha:
            continue
        target = by_sha.get(rep.prev)
        if not target and any(x is not rep for x in referrers.get(before_link.sha, ())):
            # the entry before it is chained to by another: this one is out of place, not that one
            problems.append(Problem(rep.seq, "replaced", f"it is chained to an entry with hash {str(rep.prev)[:16]}…, "
                                                          "which is not in the log: it was moved, or forged"))
            continue
        q_orig = target[0].orig if target else None
        if target and q_orig is not None and q_orig < o - 1:
            q = target[0]
            for between in sorted(reps):  # not every number between: they may be far apart
                if q_orig < between < o:
                    problems.append(Problem(reps[between].seq, "inserted",
                                             f"the chain goes from entry {q.seq} to entry {rep.seq} without it"))
        elif target and target[0].orig is not None and target[0].orig >= o:
            problems.append(Problem(rep.seq, "out of order", f"it was chained after entry {target[0].seq}"))
        else:
            problems.append(Problem(before_link.seq, "replaced",
                                     f"entry {rep.seq} was chained to an entry with hash {str(rep.prev)[:16]}…, not "
                                     f"to this one ({str(before_link.sha)[:16]}…): it was edited and its hash "
                                     "recomputed, or forged"))
    return problems


def anchor_problems(links: list[Link], anchors: list[AuditHead], genesis: str | None) -> list[str]:
    out = []
    last = max((link.seq for link in links), default=0)
    by_seq = {link.seq: link for link in links}
    for a in anchors:
        at = by_seq.get(a.seq)
        if a.seq == 0:  # the head of an empty log: its genesis hash
            if genesis is not None and a.sha256 != genesis:
                out.append(f"header: the expected head {a} is not the start of this log: it is another log, or "
                           "its header was changed")
            continue
        if at is not None and at.sha == a.sha256:
            continue
        holder = next((link for link in links if link.sha == a.sha256), None)
        if holder is not None:
            out.append(f"entry {a.seq}: the expected head {a} is at entry {holder.seq}: entries were renumbered")
        elif a.seq > last:
            span = f"entries {last + 1}..{a.seq}" if a.seq > last + 1 else f"entry {a.seq}"
            out.append(f"{span}: missing: the log ends at entry {last}, but the expected head is entry {a.seq} "
                       "(entries deleted from the end, or this is another log)")
        else:
            out.append(f"entry {a.seq}: not the expected head: its hash is {str(at.sha if at else None)[:16]}…, the "
                       f"expected head's is {a.sha256[:16]}…: the log was rewritten at or before entry {a.seq}, or "
                       "it is not the log the head was taken from")
    return out
