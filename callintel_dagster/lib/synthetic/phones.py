"""Phone numbers the way people type them into forms and the way dialers log them.

The same person shows up as `+91 98765 43210` in the CRM and `09876543210` in the dialer; only
normalisation links the two, so callers that share a lead's number get a different style.
"""

import random

# Country of a number -> its styles and how often people use each one. Styles without a country
# code only make sense inside the tenant's own market (the normaliser falls back to the tenant's
# default region), so numbers from the other market always carry their `+CC`.
_IN_STYLES = {
    "bare": 30,
    "intl_space": 20,
    "e164": 15,
    "trunk": 10,
    "intl_dash": 6,
    "intl_compact": 5,
    "bare_space": 5,
    "cc_space": 5,
    "trunk_space": 4,
}
_US_STYLES = {
    "paren": 25,
    "dash": 20,
    "paren_intl": 15,
    "e164": 12,
    "bare": 10,
    "one_dash": 8,
    "dot": 5,
    "intl_dash": 5,
}
_PLUS = frozenset({"intl_space", "e164", "intl_dash", "intl_compact", "paren_intl"})
# Area codes of big US metros (and Edison, NJ, for the Indian diaspora).
_US_AREA = (
    212,
    646,
    718,
    415,
    650,
    408,
    510,
    310,
    213,
    312,
    512,
    206,
    617,
    303,
    404,
    305,
    214,
    469,
    732,
    908,
)
# Indian mobiles start 6-9; 9 and 8 series dominate the installed base.
_IN_LEAD_DIGITS = "9999988877776"
# Junk people type into forms; each must fail libphonenumber in both markets.
INVALID_PHONES = (
    "12345",
    "",
    "+91 00000",
    "call me",
    "N/A",
    "0000000000",
    "98765",
    "-",
    "+91 55555 55555",
)


def random_number(rng: random.Random, country: str) -> str:
    """A valid national significant number (10 digits) for `country` ("IN" or "US")."""
    if country == "IN":
        return rng.choice(_IN_LEAD_DIGITS) + f"{rng.randrange(10**9):09d}"
    exchange = rng.randrange(200, 1000)
    # N11 codes and 555 are not assignable; avoiding them keeps every number valid and unique-ish
    # (555-01xx alone has only 100 numbers per area code, so unrelated callers would collide).
    while exchange % 100 == 11 or exchange == 555:
        exchange = rng.randrange(200, 1000)
    return f"{rng.choice(_US_AREA)}{exchange}{rng.randrange(10_000):04d}"


def styles_for(country: str, market: str) -> tuple[list[str], list[int]]:
    table = _IN_STYLES if country == "IN" else _US_STYLES
    names = [s for s in table if country == market or s in _PLUS]
    return names, [table[s] for s in names]


def pick_style(rng: random.Random, country: str, market: str, avoid: str | None = None) -> str:
    names, weights = styles_for(country, market)
    if avoid in names:
        i = names.index(avoid)
        names, weights = names[:i] + names[i + 1 :], weights[:i] + weights[i + 1 :]
    return rng.choices(names, weights)[0]


# Templates over the national number's parts: IN h/t = 5+5 digits, US a/e/l = area/exchange/line.
_IN_FORMATS = {
    "bare": "{n}",
    "intl_space": "+91 {h} {t}",
    "e164": "+91{n}",
    "trunk": "0{n}",
    "intl_dash": "+91-{h}-{t}",
    "intl_compact": "+91 {n}",
    "bare_space": "{h} {t}",
    "cc_space": "91 {h} {t}",
    "trunk_space": "0{h} {t}",
}
_US_FORMATS = {
    "paren": "({a}) {e}-{l}",
    "dash": "{a}-{e}-{l}",
    "paren_intl": "+1 ({a}) {e}-{l}",
    "e164": "+1{n}",
    "bare": "{n}",
    "one_dash": "1-{a}-{e}-{l}",
    "dot": "{a}.{e}.{l}",
    "intl_dash": "+1 {a}-{e}-{l}",
}


def format_number(country: str, n: str, style: str) -> str:
    if country == "IN":
        return _IN_FORMATS[style].format(n=n, h=n[:5], t=n[5:])
    return _US_FORMATS[style].format(n=n, a=n[:3], e=n[3:6], l=n[6:])
