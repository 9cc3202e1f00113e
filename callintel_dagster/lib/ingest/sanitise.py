"""One sanitiser for every value from every source, before anything is stored.

Real sources send text no database should keep as it is: a NUL byte (valid JSON, but PostgreSQL
refuses it in TEXT and every re-run of that tenant-day fails), other C0 control characters,
bytes that are not UTF-8 (a call-centre database written in another encoding), and lone UTF-16
surrogates (`"\\ud83d"` in JSON). Each is repaired, and the repair is noted by column:

- `control_chars`: NUL and the other C0 controls except tab and newline removed (and DEL);
- `invalid_utf8`: bytes decoded as UTF-8 with U+FFFD for what is not UTF-8;
- `invalid_unicode`: lone surrogates replaced with U+FFFD.

Nested values (a turn list, a provider's JSON) are cleaned all the way down and noted under their
top-level key. Nothing here ever logs or returns the text itself, only column names and reasons.
"""

import re
from typing import Any

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # C0 except \t (09) and \n (0a), and DEL
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_value(value: Any, found: set[str]) -> Any:
    """`value` with every string in it repaired; adds what was repaired to `found`."""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("utf-8", errors="replace")
            found.add("invalid_utf8")
    if isinstance(value, str):
        if _SURROGATE.search(value):
            value = _SURROGATE.sub(REPLACEMENT, value)
            found.add("invalid_unicode")
        if _CONTROL.search(value):
            value = _CONTROL.sub("", value)
            found.add("control_chars")
        return value
    if isinstance(value, dict):
        return {clean_value(k, found): clean_value(v, found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_value(v, found) for v in value)
    return value


def sanitise(record: dict) -> tuple[dict, list[str]]:
    """The record with every value repaired, and the repairs as `column:reason` (sorted)."""
    clean, repairs = {}, []
    for key, value in record.items():
        found: set[str] = set()
        clean[key] = clean_value(value, found)
        repairs += [f"{key}:{reason}" for reason in sorted(found)]
    return clean, sorted(repairs)
