import pytest

from callintel_dagster.lib.phones import is_e164, normalise_phone


@pytest.mark.parametrize(
    "raw",
    [
        "+91 98123 45678",
        "098123 45678",
        "9812345678",
        "+91-98123-45678",
        "(+91) 9812345678",
        "0091 98123 45678",
    ],
)
def test_indian_formats_are_one_contact(raw):
    phone = normalise_phone(raw, "IN")
    assert phone.valid and phone.e164 == "+919812345678" and phone.issue is None


def test_us_number_with_region():
    assert normalise_phone("+1 (415) 555-0100", "IN").e164 == "+14155550100"
    assert normalise_phone("(415) 555-0100", "US").e164 == "+14155550100"


@pytest.mark.parametrize(
    "raw,issue",
    [
        ("", "empty"),
        (None, "empty"),
        ("call me", "not_a_number"),
        ("12345", "too_short"),
        ("+91 00000", "too_short"),
        ("+91 98123 456789012", "too_long"),
    ],
)
def test_invalid_numbers_are_kept_and_flagged(raw, issue):
    phone = normalise_phone(raw, "IN")
    assert not phone.valid and phone.e164 is None and phone.raw == raw
    assert phone.issue == issue


@pytest.mark.parametrize(
    "value,expected",
    [
        ("+919812345678", True),
        ("919812345678", False),
        ("+91 98123 45678", False),
        ("+1234", False),
    ],
)
def test_is_e164(value, expected):
    assert is_e164(value) is expected


@pytest.mark.parametrize(
    "raw",
    [
        "+91\t98123 45678",
        "+91 98123\n45678",
        "+91\u202f98123\u202f45678",  # narrow no-break space
        "+91\u00a098123\u00a045678",  # no-break space
        "+91\u201198123\u201145678",  # non-breaking hyphen
        "+91\u201398123\u201345678",  # en dash
        "\u200b+91 98123 45678",  # zero-width space
        "9812345678.0",  # a float's tail from a spreadsheet
    ],
)
def test_unicode_separators_keep_the_contact(raw):
    phone = normalise_phone(raw, "IN")
    assert phone.valid and phone.e164 == "+919812345678", raw


@pytest.mark.parametrize(
    "raw,issue",
    [
        ("+91 98765 ABCDE", "letters_in_number"),
        ("1-800-FLOWERS", "letters_in_number"),
        ("98123 4567O", "letters_in_number"),  # a letter O for a zero
        ("9.87654321E9", "lossy_notation"),
        ("9.812345678e+09", "lossy_notation"),
        ("9,81234E9", "lossy_notation"),
    ],
)
def test_unfaithful_numbers_are_flagged_not_guessed(raw, issue):
    phone = normalise_phone(raw, "IN")
    assert not phone.valid and phone.e164 is None and phone.raw == raw
    assert phone.issue == issue


def test_an_extension_is_not_a_letter_problem():
    phone = normalise_phone("+1 415 555 0100 ext. 12", "US")
    assert phone.valid and phone.e164 == "+14155550100"
