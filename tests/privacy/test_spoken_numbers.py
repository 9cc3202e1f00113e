import pytest

from callintel_dagster.privacy.spoken import digit_runs


def runs(text: str) -> list[tuple[str, str]]:
    """(digits, covered text) per run."""
    out = []
    for run in digit_runs(text):
        start, end = run.span(0, len(run.tokens))
        out.append((run.digits(0, len(run.tokens)), text[start:end]))
    return out


@pytest.mark.parametrize(
    "text,digits",
    [
        ("nine eight seven six five four three two one zero", "9876543210"),
        ("double nine eight seven triple six", "9987666"),
        ("ninety eight seventy six", "9876"),
        ("nau aath saat chhe paanch", "98765"),
        ("shunya ek do teen chaar", "01234"),
        ("98765 four three two one zero", "9876543210"),
        ("+91-98765-43210", "919876543210"),
        (
            "\u096f\u096e\u096d\u096c\u096b \u096a\u0969\u0968\u0967\u0966",
            "9876543210",
        ),  # Devanagari
        ("(212) 730-8804", "2127308804"),
        ("four one five, five five five, oh one three four", "4155550134"),
        ("nine hundred", "900"),
        ("nine eight uh seven six", "9876"),
        ("nine eight for three to one", "984321"),  # what speech-to-text writes for 4 and 2
    ],
)
def test_a_number_is_read_however_it_is_said(text, digits):
    assert [d for d, _ in runs(text)] == [digits]


def test_a_run_goes_on_across_turns_and_backchannels_with_exact_spans():
    text = "my number is nine eight seven six five\u2029haan\u2029four three two one zero. thanks"
    [(digits, covered)] = runs(text)
    assert digits == "9876543210"
    assert covered.startswith("nine") and covered.endswith("zero")


@pytest.mark.parametrize(
    "text",
    [
        "ORD12345 for a 2BHK",  # digits glued to letters are a code
        "I do not know, it is double the price",  # "do" and "double" alone are words
        "the visit is at ten",
        "I will go to the site for a visit",  # homophones count only between numbers
    ],
)
def test_words_and_codes_make_no_long_run(text):
    assert all(len(d) < 3 for d, _ in runs(text))


def test_a_word_between_numbers_ends_the_run():
    assert [d for d, _ in runs("flat 1204 tower 7 and 560001")] == ["1204", "7", "560001"]


def test_time_and_date_separators_end_a_run():
    assert [d for d, _ in runs("at 10:30 on 24/11/2026")] == ["10", "30", "24", "11", "2026"]
