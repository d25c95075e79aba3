import pytest

from actions.scales import REASKS, named_scores, parse_scale


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7", 7),
        ("seven", 7),
        ("Seven", 7),
        ("7/10", 7),
        ("7 / 10", 7),
        ("7 out of 10", 7),
        ("about a 6", 6),
        ("my pain is around 4 today", 4),
        ("pretty bad maybe 8", 8),
        ("0", 0),
        ("zero", 0),
        ("none", 0),
        ("no pain", 0),
        ("not at all", 0),
        ("10", 10),
        ("ten", 10),
        ("a 3, same as always", 3),
        (" 5 ", 5),
        ("5!", 5),
    ],
)
def test_accepts_the_ways_people_answer(typed, expected):
    reading = parse_scale(typed)
    assert reading.ok and reading.value == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("12", "out_of_range"),
        ("-3", "out_of_range"),
        ("eleven", "out_of_range"),
        ("100", "out_of_range"),
        ("six or seven", "ambiguous"),
        ("6-7", "ambiguous"),
        ("between 4 and 5", "ambiguous"),
        ("6.5", "not_whole"),
        ("hmm", "no_number"),
        ("", "no_number"),
        ("bad", "no_number"),
    ],
)
def test_refuses_with_a_reason(typed, problem):
    reading = parse_scale(typed)
    assert not reading.ok
    assert reading.problem == problem


def test_every_refusal_says_what_is_accepted():
    for message in REASKS.values():
        assert "0" in message and "10" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not at all", 0),
        ("never", 0),
        ("several days", 1),
        ("sometimes", 1),
        ("a few days", 1),
        ("More than half the days", 2),
        ("most days", 2),
        ("nearly every day", 3),
        ("every day", 3),
        ("all the time", 3),
        ("2", 2),
        ("0", 0),
        ("7", None),  # a 0–10 answer in the wrong place
        ("several days, maybe nearly every day", None),
        ("1.5", None),
        ("blue", None),
        ("", None),
    ],
)
def test_frequency_answers(text, expected):
    from actions.scales import parse_frequency

    assert parse_frequency(text) == expected


@pytest.mark.parametrize(
    ("text", "scores"),
    [
        ("my pain is 9 today", {"pain": 9}),
        (
            "pain 7 fatigue 8 sleep 3 stress 2",
            {"pain": 7, "fatigue": 8, "sleep_quality": 3, "stress": 2},
        ),
        ("sleep was a 3 out of 10", {"sleep_quality": 3}),
        ("I slept 5 hours", {}),  # hours, not a rating
        ("pain is 12", {}),  # out of range
        ("pain 7 and pain 8", {}),  # two ratings for one scale
        ("i have pain in 2 places", {}),
        ("about a 7 today", {}),  # no scale named
    ],
)
def test_scores_are_read_with_their_scale_from_a_sentence(text, scores):
    assert named_scores(text) == scores
