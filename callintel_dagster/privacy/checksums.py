"""The check digits that tell an identifier from any other run of digits."""

from functools import lru_cache

import phonenumbers

# The entities made of digits, found by number_recognizer.py and keyed by their digits.
NUMBER_ENTITIES = ("PHONE", "AADHAAR", "CARD", "SSN", "ACCOUNT")

# Verhoeff tables (dihedral group D5), as used by UIDAI for the Aadhaar check digit.
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]  # fmt: skip
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]  # fmt: skip


def verhoeff_valid(digits: str) -> bool:
    check = 0
    for i, char in enumerate(reversed(digits)):
        check = _D[check][_P[i % 8][int(char)]]
    return check == 0


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def is_aadhaar(digits: str) -> bool:
    """12 digits, not starting with 0 or 1 (UIDAI never issues those), Verhoeff check digit."""
    if len(digits) != 12 or digits[0] in "01" or len(set(digits)) == 1:
        return False
    return verhoeff_valid(digits)


def is_card(digits: str) -> bool:
    """13-19 digits from a card network's range (Amex/Diners 3, Visa 4, MC/RuPay 5-6), Luhn."""
    return 13 <= len(digits) <= 19 and digits[0] in "3456" and luhn_valid(digits)


def is_ssn(digits: str) -> bool:
    """9 digits outside the ranges the SSA never assigns (000, 666, 9xx; group 00; serial 0000)."""
    if len(digits) != 9 or len(set(digits)) == 1:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


@lru_cache(maxsize=8192)  # a call repeats its numbers, and parsing is the costly part
def phone_e164(digits: str, plus: bool) -> str | None:
    """E.164 when `digits` is a valid Indian or US number as said on a call, else None.

    Accepted shapes: +CC..., 10 digits (IN first, then US), 0 + 10 (IN trunk prefix),
    91 + 10 and 1 + 10 (country code said without the plus).
    """
    if plus:
        options = [("+" + digits, "ZZ")]
    elif len(digits) == 10 and digits[0] in "6789":
        # India's mobile series (TRAI): libphonenumber's range table lags new allocations and
        # calls some of it a fixed line, but ten digits from 6-9 said on a call are a mobile
        return "+91" + digits
    elif len(digits) == 10:
        options = [(digits, "US")]
    elif len(digits) == 11 and digits[0] == "0":
        options = [(digits, "IN")]
    elif len(digits) == 11 and digits[0] == "1":
        options = [("+" + digits, "ZZ")]
    elif len(digits) == 12 and digits.startswith("91"):
        options = [("+" + digits, "ZZ")]
    else:
        return None
    for text, region in options:
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed) and _personal(parsed, text):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None


_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
_BUSINESS = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
}


def _personal(parsed: phonenumbers.PhoneNumber, text: str) -> bool:
    """A number a person can be reached on: not a business's toll-free or premium line.

    An Indian landline is said with its 0 or +91 prefix; ten bare digits are a mobile. Without
    this rule almost any ten digits (1234567890, an order id) would pass as an Indian landline
    with some STD code.
    """
    kind = phonenumbers.number_type(parsed)
    if kind in _BUSINESS:
        return False
    return parsed.country_code != 91 or text.startswith(("+", "0")) or kind in _MOBILE
