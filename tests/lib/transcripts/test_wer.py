import pytest

from callintel_dagster.lib.transcripts.wer import normalise_words, wer, word_edit_distance


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("  don't   STOP  ", ["don't", "stop"]),
        ("It\u2019s fine.", ["it's", "fine"]),
        ("price-list: 5,000", ["price", "list", "5", "000"]),
        ("'quoted'", ["quoted"]),
        ("...", []),
        ("", []),
    ],
)
def test_normalise_words(text, words):
    assert normalise_words(text) == words


@pytest.mark.parametrize(
    ("reference", "hypothesis", "distance"),
    [
        ([], [], 0),
        (["a"], [], 1),
        ([], ["a", "b"], 2),
        (["a", "b", "c"], ["a", "b", "c"], 0),
        (["a", "b", "c"], ["a", "x", "c"], 1),
        (["a", "b", "c"], ["a", "c"], 1),
        (["a", "b", "c"], ["a", "b", "x", "c"], 1),
        (["kitten"], ["sitting"], 1),
        (["a", "b", "c", "d"], ["b", "c", "d", "e"], 2),
    ],
)
def test_word_edit_distance(reference, hypothesis, distance):
    assert word_edit_distance(reference, hypothesis) == distance


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("Hello, this is Priya.", "hello this is priya", 0.0),
        ("Hello, this is Priya.", "Hello, this is Maria.", 0.25),
        ("the end of the month", "the end of month", 0.2),
        ("send me the list", "please send me the price list", 0.5),
        ("yes", "no no no", 3.0),
        ("", "", 0.0),
        ("", "anything", 1.0),
        ("something", "", 1.0),
    ],
)
def test_wer(reference, hypothesis, expected):
    assert wer(reference, hypothesis) == pytest.approx(expected)
