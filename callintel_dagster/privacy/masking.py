"""What replaces a found entity: a per-call placeholder, a salted hash, or a masked phone number.

Placeholders are keyed by the entity's canonical value, so "98765 43210", "+91 98765 43210" and
"nine eight seven six five four three two one zero" are one `<PHONE_1>` within a call.
"""

import hashlib
import hmac
import re

import phonenumbers

from callintel_dagster.privacy.checksums import NUMBER_ENTITIES
from callintel_dagster.privacy.spoken import digit_runs

_SPOKEN_AT = re.compile(r"\s*(?:@|\bat\s+the\s+rate(?:\s+of)?\b|\bat\b)\s*", re.IGNORECASE)
_SPOKEN_DOT = re.compile(r"\s*(?:\.|\bdot\b)\s*", re.IGNORECASE)
_SPOKEN_UNDERSCORE = re.compile(r"\s*\bunderscore\b\s*", re.IGNORECASE)
MASK = "\u2022"  # bullet, as banks print masked numbers


def canonical(entity: str, text: str) -> str:
    """The value two mentions of one entity share, however each was said."""
    if entity in NUMBER_ENTITIES:
        digits = "".join(r.digits(0, len(r.tokens)) for r in digit_runs(text))
        return digits[-10:] if entity == "PHONE" else digits  # national number, any prefix
    if entity in ("EMAIL", "UPI"):
        value = _SPOKEN_UNDERSCORE.sub("_", _SPOKEN_DOT.sub(".", _SPOKEN_AT.sub("@", text)))
        return re.sub(r"\s+", "", value.lower())
    return " ".join(text.lower().split())


def hashed_placeholder(entity: str, value: str, salt: bytes) -> str:
    digest = hmac.new(salt, f"{entity}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"<{entity}:{digest[:10]}>"


def mask_phone_for_digest(e164: str, mode: str) -> str:
    """`+919876543210` -> `+91 ••••• •3210` (masked) or `+91 98765 43210` (full).

    The country code and the last four digits stay, in the number's own international grouping.
    Raises ValueError (without echoing the number) for anything but a valid E.164 number.
    """
    if mode not in ("masked", "full"):
        raise ValueError(f"digest_numbers mode must be 'masked' or 'full', not {mode!r}")
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        raise ValueError("not an E.164 phone number") from None
    if not e164.startswith("+") or not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid E.164 phone number")
    shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if mode == "full":
        return shown
    prefix = f"+{parsed.country_code}"
    national = shown[len(prefix) :]
    total = sum(c.isdigit() for c in national)
    seen, out = 0, []
    for char in national:
        if char.isdigit():
            seen += 1
            out.append(char if seen > total - 4 else MASK)
        else:
            out.append(char)
    return prefix + "".join(out)
