"""Hypothesis strategies for collective facts (valid ones, with gaps)."""

import datetime as dt
import json

from hypothesis import strategies as st

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
