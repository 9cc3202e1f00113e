"""`find` joins a pattern group into one alternation behind shared pre-conditions (a leading
\\b, then a lookahead for the first literal): it must match exactly where any single pattern of
the group matches, for the analyser's own groups and for shapes the arrangement must not change.
"""

import re

import pytest

from callintel_dagster.lib.analysis import offline, patterns
from callintel_dagster.lib.analysis.patterns import _alternation, _matcher

TEXTS = [
    "",
    "My budget is 50 lakh, can you send the payment link?",
    "I'm the owner, I decide. Payment done!",
    "not interested, wrong number",
    "Kelvin sign \u212aal and long s \u017fure",  # fold to "k" and "s" under IGNORECASE
    "xbudget budgetx b u d g e t",
    "she he the",
    "₹ 5000 or $20 or rs. 40 or inr 9",
    "call me back tomorrow evening",
    "mujhe abhi nahi chahiye, baad mein call karna",
]

GROUPS = [
    (r"\bfoo|bar",),  # top-level alternation: only the first branch has \b
    (r"\bfoo|\bbar", r"\bbaz"),  # both branches start with \b (re factors it out)
    (r"\bs?he\b", r"\bthe\b"),  # the first character is optional
    (r"\bkal\b", r"\bsure\b", r"x"),  # literals that fold from non-ASCII letters
    (r"\b\w+get\b", r"(?:₹|\$|\brs\.?|\binr)\s?\d"),  # no literal after \b; no \b at all
    (r"\b(?:budget|payment)\b", r"\bpay(?:ment)? (?:link|done)\b"),
]


def _any(group: tuple[str, ...], text: str) -> bool:
    return any(re.search(p, text, re.IGNORECASE) for p in group)


@pytest.mark.parametrize("group", GROUPS)
def test_joined_group_matches_where_a_member_matches(group):
    joined = _matcher(group)
    assert [joined(t) for t in TEXTS] == [_any(group, t) for t in TEXTS]


def test_analyser_groups_agree_on_synthetic_calls():
    from datetime import date

    from callintel_dagster.lib.synthetic import generate_day

    day = generate_day("t1", date(2026, 11, 18), "Asia/Kolkata", calls_per_day=60, leads_per_day=5)
    texts = TEXTS + [t["text"] for c in day.calls for t in c.get("turns") or []]
    for call in day.calls:
        offline.analyse_offline(call.get("turns") or [])  # registers every group it uses
    groups = list(patterns._MATCHERS)
    assert len(groups) > 20
    hits = 0
    for group in groups:
        joined = _matcher(group)
        for text in texts:
            assert joined(text) == _any(group, text), (group[:2], text)
            hits += joined(text)
    assert hits > 100  # the comparison saw matches, not only misses
    assert "(?=" in _alternation(tuple(offline._ANY_INFORMATIVE))  # the arrangement is in use
