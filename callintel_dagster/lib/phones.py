"""Phone normalisation to E.164 with libphonenumber, so `+91 98…`, `098…` and `98…` are one contact.

A number that cannot be normalised is never dropped: it keeps its raw form and a reason.
"""

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
    text = (raw or "").strip()
    if not text:
        return Phone(raw, None, False, "empty")
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
