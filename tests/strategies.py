"""Hypothesis strategies for collective facts (valid ones, with gaps)."""

import datetime as dt

from hypothesis import strategies as st

LEVELS = ["national", "provincial", "municipal"]
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
    acts = maybe(draw, draw(st.lists(activities(), max_size=6)))
    if acts is not None:
        doc["activities"] = acts
    exists = maybe(draw, draw(st.booleans()))
    if exists is not None:
        doc["contact_platform"] = {"exists": exists}
        if exists and draw(st.booleans()):
            doc["contact_platform"]["since"] = draw(st.dates(dt.date(2014, 1, 1), dt.date(2019, 6, 1))).isoformat()
    return doc


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
