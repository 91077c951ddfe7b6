"""The one "did you mean" helper behind every suggestion that names an accepted word."""

from hypothesis import given
from hypothesis import strategies as st

from qnwmh_rules.exceptions import did_you_mean, meant

WORDS = st.text(st.sampled_from("abcdefgh._"), min_size=1, max_size=12)


@given(word=WORDS, choices=st.lists(WORDS, max_size=8))
def test_a_suggestion_names_one_of_the_choices(word, choices):
    """did_you_mean names a given choice, in the one wording, or gives None."""
    got = did_you_mean(word, choices)
    assert got is None or got in {meant(c) for c in choices}


@given(word=WORDS, choices=st.lists(WORDS, max_size=8))
def test_an_exact_choice_is_the_suggestion(word, choices):
    """A word that is itself a choice is the choice suggested."""
    assert meant(word) == did_you_mean(word, [*choices, word], cutoff=1.0)


def test_a_misspelt_region_and_nothing_close():
    """guangdnog suggests guangdong; a word like no choice gets no suggestion."""
    assert ("did you mean 'guangdong'?", None) == (did_you_mean("guangdnog", ["guangdong", "national"]),
                                                   did_you_mean("zzz", ["guangdong"]))
