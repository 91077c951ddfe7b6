"""The one Window type: its boundary arithmetic agrees with itself and with what the engines decide."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from qnwmh_rules._model import Window, day_position, decided_on

from .strategies import windows


@given(w=windows(), offset=st.integers(-3, 70))
def test_contains_is_the_span_from_first_to_last_day(w, offset):
    """A day counts exactly when it lies from first_day to last_day, which is where position is open."""
    day = w.start + dt.timedelta(days=offset)
    expected = ("before" if day < w.first_day else "open" if day <= w.last_day else "closed")
    assert (expected == "open", expected) == (w.contains(day), w.position(day))


@given(w=windows())
def test_day_count_is_the_number_of_days_that_count(w):
    """day_count counts the days from first_day to last_day, both included, without building dates."""
    assert (w.last_day - w.first_day).days + 1 == w.day_count


def test_the_boundaries_follow_the_inclusive_flags():
    """An open start moves the first day on by one, an open end the last day back by one."""
    d1, d9 = dt.date(2017, 9, 1), dt.date(2017, 9, 9)
    got = [(w.first_day, w.last_day) for w in (Window(d1, d9, a, b, "UTC") for a in (True, False)
                                               for b in (True, False))]
    assert [(d1, d9), (d1, dt.date(2017, 9, 8)), (dt.date(2017, 9, 2), d9),
            (dt.date(2017, 9, 2), dt.date(2017, 9, 8))] == got


@given(w=windows())
def test_to_json_is_the_ruleset_shape(w):
    """to_json gives the window's fields, dates as ISO text, as a ruleset file writes them."""
    assert {"start": w.start.isoformat(), "end": w.end.isoformat(), "start_inclusive": w.start_inclusive,
            "end_inclusive": w.end_inclusive, "time_zone": w.time_zone} == w.to_json()


def test_a_deadline_has_no_before_and_is_decided_the_day_after():
    """With no first day, a day is open up to the last day; the decision falls on the next day."""
    last = dt.date(2017, 9, 7)
    assert (["open", "open", "closed"], dt.date(2017, 9, 8)) == (
        [day_position(d, None, last) for d in (dt.date(2000, 1, 1), last, dt.date(2017, 9, 8))], decided_on(last))
