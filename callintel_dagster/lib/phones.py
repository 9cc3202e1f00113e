"""Phone normalisation to E.164 with libphonenumber, so `+91 98…`, `098…` and `98…` are one contact.

A number that cannot be normalised is never dropped: it keeps its raw form and a reason. A number
is valid only when it was read faithfully:
- every Unicode space, line break and dash inside it is a separator (a tab, a narrow no-break space
  or a non-breaking hyphen copied from a spreadsheet or a PDF must not lose the contact);
- letters are refused (`letters_in_number`): libphonenumber maps vanity letters to keypad digits,
  so `+91 98765 ABCDE` would become a real-looking, wrong number; an extension (`ext. 12`, `x12`)
  is not a letter problem;
- spreadsheet scientific notation (`9.87654321E9`) has lost digits: `lossy_notation`. A float's
  `.0` tail (`9876543210.0`) loses nothing and is read as the integer it was.
"""

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class Phone:
    raw: str | None
    e164: str | None
    valid: bool
    issue: str | None  # None when valid


def normalise_phone(raw: str | None, default_region: str) -> Phone:
    """Normalise `raw` with the tenant's default region (ISO 3166 alpha-2, e.g. "IN")."""
    text = _separators_to_spaces(raw or "").strip()
    if not text:
        return Phone(raw, None, False, "empty")
    if _SCIENTIFIC.match(text):
        return Phone(raw, None, False, "lossy_notation")
    text = _FLOAT_TAIL.sub("", text)
    if _LETTER.search(_EXTENSION.sub("", text)) and any(c.isdigit() for c in text):
        return Phone(raw, None, False, "letters_in_number")
    try:
        parsed = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        return Phone(raw, None, False, _PARSE_ISSUES.get(exc.error_type, "unparseable"))
    if not phonenumbers.is_valid_number(parsed):
        reason = phonenumbers.is_possible_number_with_reason(parsed)
        return Phone(raw, None, False, _POSSIBLE_ISSUES.get(reason, "invalid"))
    return Phone(
        raw, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), True, None
    )


_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_FLOAT_TAIL = re.compile(r"(?<=\d)\.0+$")
_EXTENSION = re.compile(r"(?i)\s*(?:ext\.?|extn\.?|extension|x|#)\s*\d{1,7}$")
_LETTER = re.compile(r"[^\W\d_]")  # any letter, in any script


def _separators_to_spaces(text: str) -> str:
    """Unicode spaces, line and paragraph separators, controls and dashes become plain separators."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Zs", "Zl", "Zp", "Cc", "Cf"):
            out.append(" ")
        elif category == "Pd":
            out.append("-")
        else:
            out.append(char)
    return "".join(out)


_PARSE_ISSUES = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not_a_number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too_short",
    phonenumbers.NumberParseException.TOO_LONG: "too_long",
}
_POSSIBLE_ISSUES = {
    phonenumbers.ValidationResult.TOO_SHORT: "too_short",
    phonenumbers.ValidationResult.TOO_LONG: "too_long",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "invalid_country_code",
    phonenumbers.ValidationResult.INVALID_LENGTH: "invalid_length",
}


def is_e164(value: str) -> bool:
    """True when `value` is a valid number already written in E.164."""
    if not value.startswith("+"):
        return False
    phone = normalise_phone(value, "ZZ")
    return phone.valid and phone.e164 == value
