"""Hypothesis strategies for collective facts (valid ones, with gaps)."""

import datetime as dt
import functools
import json
from decimal import Decimal

from hypothesis import strategies as st

from qnwmh_rules.verdict import RULE_OUTCOMES

LEVELS = ["national", "provincial", "ministerial", "municipal"]
KINDS = ["named", "review_confirmed"]
ROUNDS = ["2011-2012", "2013-2014", "2015-2016", "2016-2017"]
UNITS = ["共青团广东省委", "广铁集团团委", "南航集团团委"]

# Dates and moments cluster around the boundaries the rules care about.
_BOUNDARY_DAYS = [dt.date(2015, 9, 30), dt.date(2015, 10, 1), dt.date(2017, 9, 7), dt.date(2017, 9, 8),
                  dt.date(2017, 9, 30), dt.date(2017, 10, 1)]
days = st.one_of(st.sampled_from(_BOUNDARY_DAYS), st.dates(dt.date(2014, 1, 1), dt.date(2018, 6, 30)))
times = st.sampled_from(["00:00:00", "00:00:01", "12:00:00", "23:59:59"])
zones = st.sampled_from(["+08:00", "+00:00", "-05:00"])


@st.composite
def moments(draw):
    d = draw(days)
    return f"{d.isoformat()}T{draw(times)}{draw(zones)}"


@st.composite
def honors(draw):
    return {"level": draw(st.sampled_from(LEVELS)), "kind": draw(st.sampled_from(KINDS)),
            "round": draw(st.sampled_from(ROUNDS)), "date": draw(days).isoformat()}


@st.composite
def filings(draw):
    submitted = draw(moments())
    status = draw(st.sampled_from(["approved", "rejected", "pending"]))
    review = {"status": status}
    if status != "pending" or draw(st.booleans()):
        review["at"] = max(submitted, draw(moments()), key=lambda s: dt.datetime.fromisoformat(s))
    return {"channel": {"kind": draw(st.sampled_from(["industry", "locality"])),
                        "unit": draw(st.sampled_from(UNITS))},
            "submitted_at": submitted, "review": review}


def maybe(draw, value, p_missing=0.15):
    """Leave a fact out now and then: missing facts must give undetermined, never false."""
    return None if draw(st.floats(0, 1)) < p_missing else value


@st.composite
def collectives(draw):
    total = draw(st.one_of(st.integers(0, 250), st.sampled_from([5, 6, 200, 201])))
    doc = {"id": "H-" + str(draw(st.integers(0, 10**6)))}
    members = {}
    for key, value in (("total", total),
                       ("aged_35_or_under", draw(st.integers(0, total))),
                       ("chinese_nationals", draw(st.integers(0, total)))):
        v = maybe(draw, value)
        if v is not None:
            members[key] = v
    if members or draw(st.booleans()):
        doc["members"] = members
    birth = draw(st.one_of(st.dates(dt.date(1970, 1, 1), dt.date(2000, 12, 31)),
                           st.sampled_from([dt.date(1976, 9, 30), dt.date(1976, 10, 1), dt.date(1977, 9, 30)])))
    leader = {}
    if maybe(draw, 1) is not None:
        leader["birth_date"] = birth.isoformat()
    if maybe(draw, 1) is not None:
        leader["nationality"] = draw(st.sampled_from(["CN", "CN", "US"]))
    doc["leader"] = leader
    h = maybe(draw, draw(st.lists(honors(), max_size=3)))
    if h is not None:
        doc["honors"] = h
    f = maybe(draw, draw(st.lists(filings(), max_size=3)))
    if f is not None:
        doc["filings"] = f
    return doc


ACTIVITY_KINDS = ["special_meeting", "training", "inspection", "themed_activity"]
_PERIOD_DAYS = [dt.date(2016, 12, 31), dt.date(2017, 1, 1), dt.date(2018, 12, 31), dt.date(2019, 1, 1)]


@st.composite
def activities(draw, kind=None):
    return {"kind": kind or draw(st.sampled_from(ACTIVITY_KINDS)),
            "date": draw(st.one_of(st.sampled_from(_PERIOD_DAYS),
                                   st.dates(dt.date(2016, 6, 1), dt.date(2019, 6, 1)))).isoformat(),
            "title": "活动"}


@st.composite
def units(draw):
    """Management units, with facts sometimes missing."""
    total = draw(st.integers(0, 400))
    doc = {"id": "U-" + str(draw(st.integers(0, 999))), "kind": draw(st.sampled_from(
        ["provincial_committee", "member_unit", "support_unit"]))}
    quota = maybe(draw, draw(st.integers(0, 40)))
    if quota is not None:
        doc["quota"] = quota
    cc = {}
    for key, value in (("total", total), ("previous_national", draw(st.integers(0, total))),
                       ("non_public_economy", draw(st.integers(0, total))),
                       ("social_organization", draw(st.integers(0, total)))):
        v = maybe(draw, value)
        if v is not None:
            cc[key] = v
    doc["creation_collectives"] = cc
    industry = maybe(draw, draw(st.sampled_from(["transport", "railway"])))
    if industry is not None:
        doc["industry"] = industry
    recommended = draw(st.integers(0, 60))
    rec = {"total": recommended}
    share = maybe(draw, draw(st.integers(0, recommended)))
    if share is not None:
        rec["previous_national"] = share
    doc["recommended"] = rec
    acts = maybe(draw, draw(st.lists(activities(), max_size=6)))
    if acts is not None:
        doc["activities"] = acts
    exists = maybe(draw, draw(st.booleans()))
    if exists is not None:
        doc["contact_platform"] = {"exists": exists}
        if exists and draw(st.booleans()):
            doc["contact_platform"]["since"] = draw(st.dates(dt.date(2014, 1, 1), dt.date(2019, 6, 1))).isoformat()
    return doc


# Evaluation moments around the days on which rules become due (windows, deadlines, periods).
AS_OF_DAYS = [dt.date(2011, 12, 31), dt.date(2012, 1, 1), dt.date(2012, 2, 29), dt.date(2012, 3, 1),
              dt.date(2015, 9, 30), dt.date(2015, 10, 1), dt.date(2017, 9, 7), dt.date(2017, 9, 8),
              dt.date(2017, 9, 30), dt.date(2017, 10, 1), dt.date(2018, 12, 31), dt.date(2019, 1, 1)]
as_of_days = st.one_of(st.sampled_from(AS_OF_DAYS), st.dates(dt.date(2011, 6, 1), dt.date(2019, 6, 30)))


def _day(text):
    return dt.date.fromisoformat(text[:10])


def known_by(doc, day):
    """The facts as they could be known at the end of ``day``: later filings, honours, reviews and
    activities are left out (facts cannot lie in the future of as_of)."""
    doc = json.loads(json.dumps(doc))
    if "honors" in doc:
        doc["honors"] = [h for h in doc["honors"] if _day(h["date"]) <= day - dt.timedelta(days=1)]
    if "filings" in doc:
        kept = []
        for f in doc["filings"]:
            if _day(f["submitted_at"]) >= day:
                continue
            if "at" in f["review"] and _day(f["review"]["at"]) >= day:
                f["review"] = {"status": "pending"}
            kept.append(f)
        doc["filings"] = kept
    if "activities" in doc:
        doc["activities"] = [a for a in doc["activities"] if _day(a["date"]) <= day]
    since = doc.get("contact_platform", {}).get("since")
    if since and _day(since) > day:
        del doc["contact_platform"]["since"]
    return doc


@st.composite
def typed_collectives(draw):
    """Collectives as a Python caller may give them: some dates as datetime.date and some timestamps as aware
    datetime.datetime (evaluate accepts both), the rest as JSON text."""
    doc = draw(collectives())
    if "birth_date" in doc["leader"] and draw(st.booleans()):
        doc["leader"]["birth_date"] = dt.date.fromisoformat(doc["leader"]["birth_date"])
    for h in doc.get("honors", ()):
        if draw(st.booleans()):
            h["date"] = dt.date.fromisoformat(h["date"])
    for f in doc.get("filings", ()):
        if draw(st.booleans()):
            f["submitted_at"] = dt.datetime.fromisoformat(f["submitted_at"])
    return doc


@st.composite
def audit_manipulations(draw, ops, entries=5):
    """One manipulation of an audit log of `entries` entries: which, on which entries (a and b), whether the forger
    then recomputes the entry's hash, and whether the log is keyed."""
    return {"op": draw(st.sampled_from(ops)), "a": draw(st.integers(1, entries)), "b": draw(st.integers(1, entries)),
            "rehash_after": draw(st.booleans()), "keyed_log": draw(st.booleans())}


# ---- hostile input: raw bytes and arbitrary JSON values (the batch and API invariants) ------------

# Text that exercises the readers: JSON punctuation, quotes, separators, BOMs, surrogate
# escapes, non-UTF-8 bytes, CR, NUL, very long runs are made by repetition.
_FRAGMENTS = [b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"\r\n", b"\r", b" ", b"\t", b"\x00",
              b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xb9\xe3", b'"id"', b'"id": "a"', b'\\ud800', b"null",
              b"1e999", b"NaN", b"-0", b"9" * 30, b'"members": {"total": 24}', b'"leader": {"birth_date": ',
              b'"2017-09"', b'"9999-12-31T23:59:59-12:00"', b'"honors": []', b"[" * 40, b"]" * 40,
              "广铁集团团委".encode(), "广铁集团团委".encode("gbk")]
raw_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=60).map(b"".join),
)

CSV_HEADER = b"id,region,members.total,members.aged_35_or_under,members.chinese_nationals,leader.birth_date," \
             b"leader.nationality,honors,filings"
_CELLS = [b"", b"GD-1", b"guangdong", b"24", b" 24 ", b"1_000", b"15", b"1984-03-02", b"2017/9/30", b"CN",
          b"[]", b"null", b'"[]"', b'"[{""level"": ""national""}]"', b"\xff\xfe", "广铁".encode("gbk"),
          "广铁".encode(), b"\x00", b"x" * 50]
_PLAIN_CELLS = [c for c in _CELLS if b'"' not in c]


@st.composite
def csv_bytes(draw):
    """A CSV file: the header (sometimes with a BOM, sometimes damaged) and rows of cells,
    some with quotes; rows may be short, long or blank."""
    header = draw(st.sampled_from([CSV_HEADER, b"\xef\xbb\xbf" + CSV_HEADER, CSV_HEADER + b",id",
                                   CSV_HEADER.replace(b"region", b"\xff")]))
    rows = draw(st.lists(st.lists(st.sampled_from(_CELLS), max_size=10).map(b",".join), max_size=12))
    end = draw(st.sampled_from([b"\n", b"\r\n"]))
    return end.join([header, *rows]) + draw(st.sampled_from([b"", end]))


@st.composite
def plain_csv_bytes(draw):
    """A CSV file without quote characters or carriage returns: every non-blank physical
    line after the header is one record, so the expected number of output lines is known."""
    rows = draw(st.lists(st.lists(st.sampled_from(_PLAIN_CELLS), max_size=10).map(b",".join), max_size=12))
    return b"\n".join([CSV_HEADER, *rows]) + b"\n"


# JSON values as a caller's code could build them: every scalar kind, lone surrogates,
# non-finite floats, huge integers, and nesting.


def _deep_list(depth):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70),
                     st.integers(4400, 6000).map(lambda digits: 10**digits),  # too long to print
                     st.integers(60, 3000).map(_deep_list),  # nested deeper than anything accepts

                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                     st.sampled_from(["\ud800", "2017-09", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                                      "guangdong", "CN", "2015-2016", " CN", "1984-03-02"]))
_keys = st.one_of(st.sampled_from(["id", "region", "members", "total", "leader", "birth_date", "honors", "filings",
                                   "submitted_at", "review", "at", "status", "channel", "unit", "kind", "level",
                                   "round", "date", "nationality", "aged_35_or_under", "chinese_nationals"]),
                  st.text(max_size=8))
json_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(_keys, inner, max_size=6)),
                           max_leaves=25)
# ... as a verdict can show them: nested no deeper than a facts document may be (the library refuses
# deeper ones), with the texts JSON escapes and the brackets and separators JSON is written with.
_shown_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70),
                           st.integers(4400, 6000).map(lambda digits: 10**digits),
                           st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                           st.text(alphabet='{}[],:" \n\\\x00\u2028青', max_size=12))
shown_values = st.recursive(_shown_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple), st.dictionaries(_keys, inner, max_size=6)),
    max_leaves=25)


# ---- conditions with arithmetic, for the engine == reference property (issue 10) ----------------
# Decimals with several digits, division by constants, large parameters and sums of several facts:
# the operators and value ranges the shipped rulesets do not use, so that a new way for the two
# engines to disagree on numbers is found here first.
NUMBER_FACTS = ["members.total", "members.aged_35_or_under", "members.chinese_nationals"]
OPS = ["<", "<=", ">", ">=", "==", "!="]


@st.composite
def decimals(draw, max_places=4, max_whole=1000):
    """A decimal constant as written in a ruleset (text), e.g. ``0.55``, ``12.125`` or ``7``."""
    whole = draw(st.integers(0, max_whole))
    places = draw(st.integers(0, max_places))
    if places == 0:
        return str(whole)
    return f"{whole}.{draw(st.integers(0, 10**places - 1)):0{places}d}"


@st.composite
def terms(draw):
    """One term of a sum: a fact, a fact times or divided by a constant, or a constant."""
    fact = draw(st.sampled_from(NUMBER_FACTS))
    k = draw(decimals(max_whole=draw(st.sampled_from([2, 100, 4000]))))
    shape = draw(st.sampled_from(["fact", "mul", "div", "const", "param"]))
    if shape == "fact":
        return fact
    if shape == "mul":
        return f"{fact} * {k}"
    if shape == "div":
        return f"{fact} / {k if float(k) != 0 else '3'}"
    if shape == "param":
        return f"{fact} * params.k"
    return k


@st.composite
def number_conditions(draw):
    """``(condition text, parameter k as text)``: a fact compared with a sum of terms."""
    left = draw(st.sampled_from(NUMBER_FACTS))
    rhs = draw(st.lists(terms(), min_size=1, max_size=4))
    signs = [draw(st.sampled_from(["+", "-"])) for _ in rhs[1:]]
    text = rhs[0] + "".join(f" {s} {t}" for s, t in zip(signs, rhs[1:], strict=True))
    return f"{left} {draw(st.sampled_from(OPS))} {text}", draw(decimals(max_places=6, max_whole=draw(
        st.sampled_from([1, 100, 1_000_000]))))


@st.composite
def member_counts(draw):
    """``members`` facts (parts never above the total, as facts require): small and boundary counts,
    large ones, and gaps."""
    total = draw(st.one_of(st.integers(0, 200), st.sampled_from([0, 1, 7, 55, 100, 10**6, 10**9])))
    out = {"total": total}
    for name in ("aged_35_or_under", "chinese_nationals"):
        out[name] = draw(st.one_of(st.integers(0, min(total, 200)), st.just(total), st.integers(0, total)))
    for name in list(out):
        if not draw(st.integers(0, 9)):
            del out[name]
    return out


AUDIT_TABLES = ("entries", "entry_rules", "chain", "log_meta", "sqlite_sequence")


@st.composite
def audit_cell_edits(draw):
    """One cell of an audit log's tables changed by hand: the table, a row (an index into its rows in key order),
    a column (an index), and the new value: a variation of the old one or any value SQLite can store (None,
    integers to 64 bits, reals, text, bytes). The variation is a function of the old value ("bad_utf8": text
    that is not UTF-8, which only a raw SQLite client can store)."""
    value = st.one_of(st.none(), st.integers(-2 ** 63, 2 ** 63 - 1), st.integers(-3, 12),
                      st.floats(allow_nan=False), st.text(max_size=20), st.binary(max_size=20))
    tweak = st.sampled_from(["upper", "space", "bytes", "int_text", "plus_one", "drop_last", "bad_utf8"])
    return {"table": draw(st.sampled_from(AUDIT_TABLES)), "row": draw(st.integers(0, 200)),
            "column": draw(st.integers(0, 20)), "value": draw(value), "tweak": draw(st.one_of(st.none(), tweak)),
            "keyed_log": draw(st.booleans())}


@st.composite
def windows(draw):
    """A `Window` holding at least one day, with any boundary semantics."""
    from qnwmh_rules._model import Window

    start = draw(st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 1)))
    si, ei = draw(st.booleans()), draw(st.booleans())
    end = start + dt.timedelta(days=draw(st.integers(0, 60)) + (not si) + (not ei))
    return Window(start, end, si, ei, draw(st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York"])))


def resolved_trees():
    """Resolved condition trees (``_tree`` nodes) of any shape, for tests of the one visitor."""
    from qnwmh_rules import _tree as T

    leaves = st.one_of(st.builds(T.Fact, st.sampled_from(["members.total", "leader.birth_date"]), st.just("number")),
                       st.builds(T.Item, st.just("filings"), st.sampled_from(["level", "date"]), st.just("string")),
                       st.builds(T.Const, st.integers(0, 9), st.just("number")))

    def grow(kids):
        return st.one_of(
            st.builds(T.Arith, st.sampled_from("+-*"), kids, kids),
            st.builds(T.Cmp, st.sampled_from(["<", ">=", "=="]), kids, kids),
            st.builds(T.And, st.lists(kids, min_size=1, max_size=3).map(tuple)),
            st.builds(T.Or, st.lists(kids, min_size=1, max_size=3).map(tuple)),
            st.builds(T.Not, kids),
            st.builds(T.Quant, st.sampled_from(["any", "all"]), st.just("filings"), kids),
            st.builds(T.InList, kids, st.just((T.Const("a", "string"),))),
        )

    return st.recursive(leaves, grow, max_leaves=12)


@st.composite
def nested_number_conditions(draw):
    """``(condition text, parameter k as text)``: a fact compared with nested arithmetic: parentheses,
    negative constants, subtraction that cancels, division by constants and by ``params.k``, products
    with a parameter that may be 0, decimals of up to 6 places."""
    k = draw(st.one_of(st.just("0"), decimals(max_places=6, max_whole=draw(st.sampled_from([1, 100, 10**6])))))
    const = st.one_of(decimals(max_places=6, max_whole=1000), decimals(max_places=2).map(lambda d: f"- {d}"))
    leaf = st.one_of(st.sampled_from(NUMBER_FACTS), const, st.just("params.k"))
    nonzero = decimals(max_places=3, max_whole=50).filter(lambda d: float(d) != 0)

    def grow(inner):
        shapes = [st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["+", "-"]), inner),
                  st.builds(lambda a, c: f"( {a} ) * {c}", inner, st.one_of(const, st.just("params.k"))),
                  st.builds(lambda a, c: f"( {a} ) / {c}", inner, nonzero),
                  st.builds(lambda f: f"{f} - {f}", st.sampled_from(NUMBER_FACTS))]
        if float(k) != 0:
            shapes.append(st.builds(lambda a: f"( {a} ) / params.k", inner))
        return st.one_of(*shapes)

    rhs = draw(st.recursive(leaf, grow, max_leaves=6))
    return f"{draw(st.sampled_from(NUMBER_FACTS))} {draw(st.sampled_from(OPS))} {rhs}", k


# JSON values a facts document can hold and `--set` can read back exactly: no lone surrogates,
# no floats (read back as exact decimals), integers and nesting within the facts contract's bounds.
patch_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
              st.text(st.characters(exclude_categories=("Cs",)), max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(st.characters(exclude_categories=("Cs",)), min_size=1,
                                                    max_size=6), inner, max_size=3)),
    max_leaves=8)


@st.composite
def score_inputs(draw, ruleset):
    """Outcomes (rule id -> any rule outcome) and derived counts (``derived.<name>`` -> a count, or
    absent) for every scored rule of ``ruleset``: what the score sheet is computed from, unconstrained
    by what facts could give."""
    outcomes = {r.id: draw(st.sampled_from(RULE_OUTCOMES)) for r in ruleset.rules}
    pers = sorted({r.score.per for r in ruleset.rules if r.score and r.score.per})
    derived = {p: draw(st.integers(0, 40)) for p in pers if draw(st.booleans()) or draw(st.booleans())}
    return outcomes, derived
# ---- typed condition trees the compiler emits, with the values they read -------------------------------

_NUMBER_FACTS = ["members.total", "members.aged_35_or_under", "members.chinese_nationals"]
_TREE_DAYS = [dt.date(1990, 5, 1), dt.date(1992, 9, 7), dt.date(1992, 9, 8), dt.date(2017, 9, 30)]


def _number_consts():
    from qnwmh_rules import _tree as T

    return st.one_of(st.integers(0, 30).map(lambda v: T.Const(v, "number")),
                     decimals(max_places=2, max_whole=30).map(lambda v: T.Const(Decimal(v), "number", param="k")))


def _number_sides():
    """The right side of a number comparison: a constant, another fact, or linear arithmetic of both."""
    from qnwmh_rules import _tree as T

    fact = st.sampled_from(_NUMBER_FACTS).map(lambda p: T.Fact(p, "number"))
    linear = st.one_of(
        st.builds(T.Arith, st.sampled_from("+-"), fact, st.one_of(fact, _number_consts())),
        st.builds(T.Arith, st.just("*"), fact, _number_consts()),
        st.builds(T.Arith, st.just("/"), fact, st.integers(1, 4).map(lambda v: T.Const(v, "number"))))
    return st.one_of(_number_consts(), fact, linear)


def _item_atoms(for_all):
    """Comparisons of an honour's fields with constants (no `in` list under all(...): it is an `or`)."""
    from qnwmh_rules import _tree as T

    level = T.Item("honors", "level", "string", var="h")
    day = T.Item("honors", "date", "date", var="h")
    cmp_level = st.builds(T.Cmp, st.sampled_from(["==", "!="]), st.just(level),
                          st.sampled_from(LEVELS[:2]).map(lambda v: T.Const(v, "string")))
    cmp_day = st.builds(T.Cmp, st.sampled_from(["<", "<=", ">", ">=", "=="]), st.just(day),
                        st.sampled_from(_TREE_DAYS).map(lambda v: T.Const(v, "date")))
    atoms = st.one_of(cmp_level, cmp_day)
    if for_all:
        return st.one_of(atoms, atoms.map(T.Not))
    return st.one_of(atoms, st.just(T.InList(level, (T.Const("national", "string"), T.Const("provincial", "string")))))


@st.composite
def _near_windows(draw):
    """A window holding at least one day, starting on or near the days the trees compare with."""
    from qnwmh_rules._model import Window

    start = draw(st.sampled_from(_TREE_DAYS)) - dt.timedelta(days=draw(st.integers(0, 3000)))
    si, ei = draw(st.booleans()), draw(st.booleans())
    end = start + dt.timedelta(days=draw(st.integers(0, 3000)) + (not si) + (not ei))
    return Window(start, end, si, ei, draw(st.sampled_from(["Asia/Shanghai", "UTC"])))


@st.composite
def condition_trees(draw):
    """A well-typed resolved condition the compiler accepts: number, date and text comparisons, a date
    in a window, `in` lists, any/all over honours, joined by and/or/not (at most three levels)."""
    from qnwmh_rules import _tree as T

    number = st.builds(T.Cmp, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
                       st.sampled_from(_NUMBER_FACTS).map(lambda p: T.Fact(p, "number")), _number_sides())
    mirrored = st.builds(lambda op, c, p: T.Cmp(op, c, T.Fact(p, "number")), st.sampled_from(["<", ">=", "=="]),
                         _number_consts(), st.sampled_from(_NUMBER_FACTS))
    birth = T.Fact("leader.birth_date", "date")
    dates = st.one_of(
        st.builds(T.Cmp, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.just(birth),
                  st.sampled_from(_TREE_DAYS).map(lambda v: T.Const(v, "date", param="day"))),
        st.builds(lambda w: T.InWindow(birth, w, param="window"), _near_windows()))
    nat = T.Fact("leader.nationality", "string")
    texts = st.one_of(st.builds(T.Cmp, st.sampled_from(["==", "!="]), st.just(nat),
                                st.sampled_from(["CN", "HK"]).map(lambda v: T.Const(v, "string"))),
                      st.just(T.InList(nat, (T.Const("CN", "string"), T.Const("MO", "string")), param="places")))
    any_body = st.recursive(_item_atoms(False), lambda kids: st.one_of(
        st.builds(T.And, st.lists(kids, min_size=1, max_size=2).map(tuple)),
        st.builds(T.Or, st.lists(kids, min_size=1, max_size=2).map(tuple))), max_leaves=3)
    all_body = st.lists(_item_atoms(True), min_size=1, max_size=3).map(lambda xs: T.And(tuple(xs)))
    quants = st.one_of(st.builds(T.Quant, st.just("any"), st.just("honors"), any_body),
                       st.builds(T.Quant, st.just("all"), st.just("honors"), all_body))
    leaves = st.one_of(number, mirrored, dates, texts, quants)
    tree = st.recursive(leaves, lambda kids: st.one_of(
        st.builds(T.And, st.lists(kids, min_size=1, max_size=3).map(tuple)),
        st.builds(T.Or, st.lists(kids, min_size=1, max_size=3).map(tuple)),
        st.builds(T.Not, kids)), max_leaves=4)
    return draw(tree)


@st.composite
def condition_values(draw):
    """``(values, lists)`` for ``condition_trees``: each fact or item field may be missing, the list too."""
    values = {}
    for path in _NUMBER_FACTS:
        if draw(st.booleans()) or draw(st.booleans()):
            values[path] = draw(st.integers(0, 40))
    if draw(st.integers(0, 3)):
        values["leader.birth_date"] = draw(st.one_of(st.sampled_from(_TREE_DAYS), st.dates(dt.date(1985, 1, 1),
                                                                                               dt.date(1995, 1, 1))))
    if draw(st.integers(0, 3)):
        values["leader.nationality"] = draw(st.sampled_from(["CN", "US", "JP"]))
    lists = {}
    if draw(st.integers(0, 4)):
        items = []
        for _ in range(draw(st.integers(0, 3))):
            item = {}
            if draw(st.integers(0, 4)):
                item["level"] = draw(st.sampled_from(LEVELS[:3]))
            if draw(st.integers(0, 4)):
                item["date"] = draw(st.sampled_from(_TREE_DAYS))
            items.append(item)
        lists["honors"] = tuple(items)
    return values, lists
# ---- facts documents for the fast path == full walker property (issue 14 item 5) ------------------
# Valid collectives and units, then a few edits anywhere in them: a value replaced by an odd one
# (wrong types, floats, bounds, naive wall times at clock changes, dates and datetimes as objects),
# a key removed, an unknown key added, a list item duplicated.
FACT_ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "UTC"]
_WALL_TIMES = ["2017-06-20T10:15:00", "1988-04-10T02:30:00", "1988-09-11T01:30:00", "2021-03-14T02:30:00",
               "2021-11-07T01:30:00", "2021-03-28T01:30:00", "2021-10-31T01:30:00", "1899-12-31T23:59:59",
               "2199-12-31T23:59:59", "2199-12-31T23:59:59-05:00", "1900-01-01T00:00:00+14:00",
               "2017-06-20T10:15:00.5+08:00", "2017-02-29T10:00:00", "2017-06-20 10:15:00", "2017-06-20T24:00:00"]
_ODD = st.one_of(
    _scalars, st.sampled_from(_WALL_TIMES), st.sampled_from(["1900-01-01", "2199-12-31", "1899-12-31", "2017-02-29",
                                                             "2017-9-30", "x", "", "Ｃ", "e\u0301", "a\u200b"]),
    st.integers(-3, 1_000_000_002), st.floats(-5, 1e10), st.dates(dt.date(1880, 1, 1), dt.date(2210, 1, 1)),
    st.datetimes(dt.datetime(1890, 1, 1), dt.datetime(2205, 1, 1), timezones=st.one_of(st.none(), st.timezones())),
    st.sampled_from(LEVELS + KINDS + ROUNDS + ACTIVITY_KINDS + ["pending", "approved", "guangdong", "gd", "US"]),
    st.builds(list), st.builds(dict), st.booleans())  # a new empty list or object each time: a shared one
# (st.just([])) took the edits made into it, and the next run of the strategy drew something else


def _containers(value, path=()):
    """Every (path, container) inside a JSON-shaped value, the value itself first."""
    out = [(path, value)]
    if len(path) > 5:  # not into the deep lists of _scalars
        return out
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        if isinstance(v, (dict, list)):
            out.extend(_containers(v, path + (k,)))
    return out


@st.composite
def edited_facts(draw):
    """(subject, tz, doc): a valid collective or unit with up to three odd edits."""
    subject = draw(st.sampled_from(["collective", "unit"]))
    doc = draw(collectives() if subject == "collective" else units())
    _odd_edits(draw, doc, ["set", "set", "set", "delete", "add"])
    return subject, draw(st.sampled_from(FACT_ZONES)), doc


def _odd_edits(draw, doc, ops):
    """Up to three odd edits of ``doc``, in place: in an object, an ``ops`` choice (set a key to an odd
    value, delete one, add an unknown one); in a list, an item repeated or replaced by an odd value."""
    for _ in range(draw(st.integers(0, 3))):
        _, box = draw(st.sampled_from(_containers(doc)))
        if isinstance(box, dict):
            op = draw(st.sampled_from(ops))
            if op == "add" or not box:
                box[draw(_keys)] = draw(_ODD)
            elif op == "delete":
                del box[draw(st.sampled_from(sorted(box, key=repr)))]
            else:
                box[draw(st.sampled_from(sorted(box, key=repr)))] = draw(_ODD)
        elif box:
            i = draw(st.integers(0, len(box) - 1))
            if draw(st.booleans()):
                box.append(box[i])  # the same item twice (shared: a later edit changes both)
            else:
                box[i] = draw(_ODD)
# ---- random conditions, as ruleset text (resolved by the checker), for the backends' differential tests ----
COND_NUMBERS = ["members.total", "members.aged_35_or_under", "members.chinese_nationals"]
COND_ITEMS = {
    "honors": ['h.level == "national"', 'h.kind == "named"', 'h.round in params.rounds', "h.date <= params.cutoff",
               'h.date > date("2014-01-01")', "h.date in params.win", 'h.level != "municipal"'],
    "filings": ['h.review.status == "approved"', 'h.channel.kind == "locality"', "h.submitted_at in params.win",
                "h.submitted_at <= params.cutoff", 'h.review.at >= date("2017-01-01")',
                'h.channel.unit in params.units', 'h.submitted_at > date("2016-05-01")'],
}
COND_OPS = ["==", "!=", "<", "<=", ">", ">="]
# parameters the condition texts read (a YAML block for a test ruleset's `parameters:`)
COND_PARAMS = ("  min: {value: 6}\n  cutoff: {value: 2017-09-30}\n  share: {value: 0.55}\n"
               "  win: {value: {start: 2015-10-01, end: 2017-09-30, start_inclusive: true, end_inclusive: false}}\n"
               "  units: {value: [共青团广东省委, 南航集团团委]}\n  rounds: {value: [2013-2014, 2015-2016]}\n")


def _cond_atoms(counts=()):
    numbers = COND_NUMBERS + [f"derived.{c}" for c in counts]
    arith = st.builds(lambda a, op, b, k: f"{a} {op} {b} * {k}", st.sampled_from(COND_NUMBERS),
                      st.sampled_from(COND_OPS), st.sampled_from(COND_NUMBERS + ["params.min"]),
                      st.sampled_from(["0.5", "1", "2", "params.share"]))
    plain = st.builds(lambda a, op, b: f"{a} {op} {b}", st.sampled_from(numbers), st.sampled_from(COND_OPS),
                      st.sampled_from(["params.min", "0", "1", "2", "6", "2.5", "200"]))
    dates = st.builds(lambda op, b: f"leader.birth_date {op} {b}", st.sampled_from(COND_OPS),
                      st.sampled_from(["params.cutoff", 'date("1982-09-30")']))
    strings = st.sampled_from(['leader.nationality == "CN"', 'leader.nationality in ["CN", "US"]',
                               'leader.nationality != "US"', "leader.birth_date in params.win"])
    quant = st.sampled_from(sorted(COND_ITEMS)).flatmap(lambda lst: st.builds(
        lambda q, parts, joiner, neg: f"{q}(h in {lst}, {'not ' if neg else ''}({f' {joiner} '.join(parts)}))",
        st.sampled_from(["any", "all"]), st.lists(st.sampled_from(COND_ITEMS[lst]), min_size=1, max_size=3),
        st.sampled_from(["and", "or"]), st.booleans()))
    return st.one_of(arith, plain, dates, strings, quant)


def condition_texts(counts=()):
    """A well-typed condition over the collective facts (numbers with exact arithmetic, dates,
    texts, windows, any/all over honors and filings, and the derived counts ``counts``), with
    and/or/not nesting."""
    return st.recursive(_cond_atoms(counts), lambda inner: st.one_of(
        st.builds(lambda a, b, j: f"({a}) {j} ({b})", inner, inner, st.sampled_from(["and", "or"])),
        st.builds(lambda a: f"not ({a})", inner)), max_leaves=5)


def where_texts():
    """A count's ``where`` over one filing (``item.…``), with and/or/not nesting."""
    atom = st.sampled_from([t.replace("h.", "item.") for t in COND_ITEMS["filings"]])
    return st.recursive(atom, lambda inner: st.one_of(
        st.builds(lambda a, b, j: f"({a}) {j} ({b})", inner, inner, st.sampled_from(["and", "or"])),
        st.builds(lambda a: f"not ({a})", inner)), max_leaves=4)


# ---- well-typed resolved trees with the values they read, for the compiled-vs-reference property ----
_TREE_ZONES = ["Asia/Shanghai", "UTC", "America/New_York"]


def _tree_numbers():
    from decimal import Decimal

    from qnwmh_rules import _tree as T

    leaf = st.one_of(st.sampled_from([T.Fact("n.a", "number"), T.Fact("n.b", "number")]),
                     st.builds(T.Const, st.integers(-5, 300), st.just("number")),
                     st.builds(T.Const, st.decimals(-10, 10, places=3, allow_nan=False, allow_infinity=False)
                               .map(lambda d: Decimal(str(d))), st.just("number")))
    nonzero = st.builds(T.Const, st.sampled_from([1, 2, 3, 7]), st.just("number"))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(T.Arith, st.sampled_from("+-*"), inner, inner),
        st.builds(T.Arith, st.just("/"), inner, nonzero)), max_leaves=5)


def typed_trees():
    """A well-typed resolved condition (``_tree`` nodes): number comparisons with any arithmetic
    (also products of facts), dates and timestamps against dates (by day), texts in lists, windows
    in any zone, and any/all over list ``l`` (items with fields ``k``, ``t``, ``m``), nested too,
    with and/or/not; shapes the durable compiler refuses included."""
    import datetime as dt

    from qnwmh_rules import _tree as T
    from qnwmh_rules._model import Window

    days = st.dates(dt.date(2017, 9, 28), dt.date(2017, 10, 2))
    near = st.builds(lambda start, span, si, ei, zone: Window(start, start + dt.timedelta(days=span + 2), si, ei, zone),
                     st.dates(dt.date(2017, 9, 27), dt.date(2017, 10, 2)), st.integers(0, 3), st.booleans(),
                     st.booleans(), st.sampled_from(_TREE_ZONES))  # windows whose edges the values reach
    date_const = st.builds(T.Const, days, st.just("date"))
    ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    strings = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=2).map(
        lambda xs: tuple(T.Const(x, "string") for x in xs))
    scalar = st.one_of(
        st.builds(T.Cmp, ops, _tree_numbers(), _tree_numbers()),
        st.builds(T.Cmp, ops, st.just(T.Fact("d", "date")), date_const),
        st.builds(T.Cmp, ops, st.just(T.Fact("t", "instant")), date_const),
        st.builds(T.Cmp, ops, date_const, st.just(T.Fact("t", "instant"))),
        st.builds(T.InList, st.just(T.Fact("s", "string")), strings),
        st.builds(T.InWindow, st.sampled_from([T.Fact("d", "date"), T.Fact("t", "instant")]), near),
    )
    item = st.one_of(
        st.builds(T.InList, st.just(T.Item("l", "k", "string")), strings),
        st.builds(T.InWindow, st.just(T.Item("l", "t", "instant")), near),
        st.builds(T.Cmp, ops, st.just(T.Item("l", "m", "number")),
                  st.builds(T.Const, st.integers(0, 3), st.just("number"))),
        st.builds(T.Cmp, ops, st.just(T.Item("l", "t", "instant")), date_const),
    )

    def logic(inner):
        return st.one_of(st.builds(T.And, st.lists(inner, min_size=1, max_size=3).map(tuple)),
                         st.builds(T.Or, st.lists(inner, min_size=1, max_size=3).map(tuple)),
                         st.builds(T.Not, inner))

    item_bool = st.recursive(item, logic, max_leaves=4)
    quant = st.builds(T.Quant, st.sampled_from(["any", "all"]), st.just("l"), item_bool)
    return st.recursive(st.one_of(scalar, quant), lambda inner: st.one_of(
        logic(inner), st.builds(T.Quant, st.sampled_from(["any", "all"]), st.just("l"),
                                st.one_of(item_bool, inner))), max_leaves=6)


@st.composite
def tree_values(draw):
    """``(values, lists, zone)`` a ``typed_trees`` condition reads, each fact sometimes missing."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    zone = draw(st.sampled_from(_TREE_ZONES))
    moment = st.builds(lambda d, h, z: dt.datetime(d.year, d.month, d.day, h, tzinfo=ZoneInfo(z)),
                       st.dates(dt.date(2017, 9, 28), dt.date(2017, 10, 2)), st.sampled_from([0, 1, 12, 23]),
                       st.sampled_from(_TREE_ZONES))
    candidates = {"n.a": st.integers(0, 300), "n.b": st.integers(0, 300), "s": st.sampled_from(["a", "b", "z"]),
                  "d": st.dates(dt.date(2017, 9, 28), dt.date(2017, 10, 2)), "t": moment}
    values = {k: draw(v) for k, v in candidates.items() if draw(st.integers(0, 5))}
    item = st.fixed_dictionaries({}, optional={"k": st.sampled_from(["a", "b", "z"]), "t": moment,
                                               "m": st.integers(0, 3)})
    lists = {} if not draw(st.integers(0, 4)) else {"l": tuple(draw(st.lists(item, max_size=3)))}
    return values, lists, zone


# Every assigned ISO 3166-1 code a nationality may have (HK, MO and TW name regions of China: facts refuse
# them as nationalities, see tests/test_break_issue13.py).
nationalities = st.one_of(st.sampled_from(["CN", "US", "JP"]),
                          st.sampled_from(sorted(c.alpha_2 for c in __import__("pycountry").countries
                                                 if c.alpha_2 not in ("HK", "MO", "TW"))))


# ---- facts documents drawn from any facts schema, for the generated parser (issue 14 item 5) ------
_SCHEMA_TEXTS = ["A", "青年文明号", "共青团广东省委", "x y", " x", "x ", "", "e\u0301", "\u00e9", "a\u200b",
                 "a\nb", "Ｃ"]
_SCHEMA_ROUNDS = ["2015-2016", "1900-1901", "2198-2199", "1899-1900", "2199-2200", "0999-1000", "2015-2017", "2015"]
_SCHEMA_DAYS = ["1900-01-01", "1900-01-02", "2199-12-31", "2199-12-30", "1899-12-31", "2200-01-01", "2017-02-29",
                "2016-02-29", "2017-9-30", "20170930", "2017-W01-1", "２０１７-09-30"]
_SCHEMA_MOMENTS = _WALL_TIMES + [
    "2016-05-03T10:15:00+08:00", "2016-05-03T10:15:00-00:00", "2016-05-03T10:15:00+00:00", "2016-05-03T10:15:00Z",
    "2016-05-03T10:15:00.0000Z", "2016-05-03T10:15:00.000001+08:00", "2016-05-03T10:15+08:00", "2016-05-03T02:15:00Z",
    "2016-05-02T21:15:00-05:00", "1900-01-01T00:00:00+08:00", "1900-01-01T00:00:00", "1901-01-01T00:00:00",
    "2199-12-31T23:59:59+08:00", "2199-12-31T23:59:59-12:00", "1988-04-10T02:30:00+08:00", "1988-04-10T03:30:00+09:00",
    "2016-05-03T10:15:00+23:59", "2016-05-03T10:15:00+24:00", "2016-05-03T10:15:00+0800", "2016-05-03 10:15:00+08:00",
    "2021-03-14T02:30:00-05:00", "2021-11-07T01:30:00-04:00", "2021-11-07T01:30:00-05:00", "1891-05-01T00:00:00+08:05"]


def _schema_value(spec, regions):
    """A value for a field of ``spec`` (a FieldSpec): mostly of its type and well inside its limits,
    sometimes at or past an edge."""
    return _schema_value_of(spec.type, spec.limit, spec.values, regions)


@functools.cache
def _schema_value_of(type_, limit, values, regions):
    by_type = {
        "str": st.one_of(st.sampled_from(_SCHEMA_TEXTS), st.text(max_size=6),
                         st.sampled_from(["x" * (limit or 1000), "x" * ((limit or 1000) + 1)])),
        "count": st.one_of(st.integers(0, 300), st.sampled_from([0, limit or 10**9, (limit or 10**9) + 1, -1]),
                           st.sampled_from([3.0, 2.5, True])),
        "bool": st.one_of(st.booleans(), st.sampled_from([0, 1, "true"])),
        "enum": st.one_of(st.sampled_from(list(values) or ["x"]), st.sampled_from(["", "X", "national "])),
        "region": st.one_of(st.sampled_from(sorted(regions)), st.sampled_from(["gd", "Guangdong", ""])),
        "nationality": st.sampled_from(["CN", "US", "GB", "HK", "MO", "TW", "cn", "CHN", "Ｃ Ｎ"]),
        "round": st.sampled_from(_SCHEMA_ROUNDS),
        "date": st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31)).map(dt.date.isoformat),
                          st.sampled_from(_SCHEMA_DAYS)),
        "instant": st.one_of(st.sampled_from(_SCHEMA_MOMENTS),
                             st.builds(lambda d, o: d.replace(tzinfo=dt.timezone(dt.timedelta(minutes=o))).isoformat(),
                                       st.datetimes(dt.datetime(1900, 1, 2), dt.datetime(2199, 12, 30)),
                                       st.sampled_from([0, 480, -300, 330, 345, -600, 60, 840, -720])),
                             st.datetimes(dt.datetime(1900, 1, 2), dt.datetime(2199, 12, 30)).map(
                                 lambda d: d.replace(microsecond=0).isoformat())),
    }
    return by_type[type_]


def _schema_object(draw, tree, regions):
    obj = {}
    for key, node in tree.items():
        if not draw(st.integers(0, 5)):
            continue
        obj[key] = _schema_object(draw, node, regions) if isinstance(node, dict) else \
            draw(_schema_value(node, regions))
    return obj


def _shuffled(draw, doc):
    """``doc`` with the keys of one of its objects in another order, or a null added or a key dropped."""
    dicts = [box for _, box in _containers(doc) if isinstance(box, dict) and box]
    if not dicts:
        return doc
    box = draw(st.sampled_from(dicts))
    op = draw(st.sampled_from(["reverse", "permute", "null", "drop"]))
    if op == "null":
        box[draw(st.sampled_from(sorted(box, key=repr)))] = None
    elif op == "drop":
        del box[draw(st.sampled_from(sorted(box, key=repr)))]
    else:
        keys = list(box)
        order = keys[::-1] if op == "reverse" else draw(st.permutations(keys))
        items = [(k, box.pop(k)) for k in order]
        box.update(items)
    return doc


@st.composite
def schema_facts(draw, subject):
    """A facts document for ``subject`` (a ``facts.Subject``) drawn from its schema: every field sometimes
    present with a value of its type (edges included), lists of 0-3 items, the keys in the schema's order;
    then up to three edits (another value or type anywhere, a key removed or added, an item repeated) and up
    to two reorderings, nulls or removals."""
    from qnwmh_rules.facts import REGIONS

    doc = _schema_object(draw, subject.top_tree, REGIONS)
    for name in subject.lists:
        if draw(st.integers(0, 4)):
            doc[name] = [_schema_object(draw, subject.item_trees[name], REGIONS)
                         for _ in range(draw(st.integers(0, 3)))]
    _odd_edits(draw, doc, ["set", "set", "delete", "add"])
    for _ in range(draw(st.integers(0, 2))):
        doc = _shuffled(draw, doc)
    return doc
