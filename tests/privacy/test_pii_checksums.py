import pytest

from callintel_dagster.privacy.checksums import (
    is_aadhaar,
    is_card,
    is_ssn,
    luhn_valid,
    phone_e164,
    verhoeff_valid,
)


def test_verhoeff_and_luhn_against_published_examples():
    assert verhoeff_valid("2363") and not verhoeff_valid("2364")
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert luhn_valid("79927398713")


@pytest.mark.parametrize(
    "digits,expected",
    [
        ("234123412346", True),  # UIDAI's sample format, valid check digit
        ("234123412347", False),  # one digit off
        ("123412341234", False),  # Aadhaar never starts with 0 or 1
        ("23412341234", False),  # 11 digits
    ],
)
def test_aadhaar(digits, expected):
    assert is_aadhaar(digits) is expected


@pytest.mark.parametrize(
    "digits,expected",
    [
        ("4111111111111111", True),
        ("5500005555555559", True),
        ("378282246310005", True),  # Amex, 15 digits
        ("4111111111111112", False),  # Luhn fails
        ("1111111111111117", False),  # Luhn passes, but no card network starts with 1
        ("411111111111", False),  # too short
    ],
)
def test_card(digits, expected):
    assert is_card(digits) is expected


@pytest.mark.parametrize(
    "digits,expected",
    [("123456789", True), ("000123456", False), ("666123456", False), ("912345678", False),
     ("123006789", False), ("123450000", False), ("111111111", False)],
)  # fmt: skip
def test_ssn_ranges_never_assigned(digits, expected):
    assert is_ssn(digits) is expected


@pytest.mark.parametrize(
    "digits,plus,e164",
    [
        ("9876543210", False, "+919876543210"),
        ("6321698807", False, "+916321698807"),  # new mobile series libphonenumber calls fixed
        ("09876543210", False, "+919876543210"),
        ("919876543210", False, "+919876543210"),
        ("919876543210", True, "+919876543210"),
        ("02223456789", False, "+912223456789"),  # Mumbai landline with its trunk 0
        ("4155550134", False, "+14155550134"),
        ("14155550134", False, "+14155550134"),
        ("1234567890", False, None),  # no such US area code, and not an Indian mobile
        ("2223456789", False, None),  # a landline said without 0 is not taken for a phone
        ("98765432", False, None),
        ("18002094555", False, None),  # a toll-free helpline is a business, not a person
        ("18001234567", False, None),
    ],
)
def test_phone_shapes_said_on_calls(digits, plus, e164):
    assert phone_e164(digits, plus) == e164
