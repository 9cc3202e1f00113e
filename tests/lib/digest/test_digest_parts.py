import json

import pytest

from callintel_dagster.lib.digest.parts import (
    Part,
    advance,
    overall_status,
    plan_parts,
    sanitize_variable,
    split_body,
    template_variables,
)
from callintel_dagster.lib.tenants.digest_config import TwilioDigest

LINES = "\n".join(f"• bullet number {i} says something useful about the day" for i in range(40))
WORDS = " ".join(f"word{i}" for i in range(600))


@pytest.mark.parametrize(
    "text,limit",
    [(LINES, 1600), (LINES, 300), (LINES, 100), (WORDS, 200), (WORDS, 1000), ("x" * 450, 100)],
)
def test_split_respects_the_limit_and_keeps_every_word(text, limit):
    parts = split_body(text, limit)
    assert all(len(p) <= limit for p in parts)
    n = len(parts)
    if n > 1:
        assert all(p.startswith(f"({i}/{n}) ") for i, p in enumerate(parts, 1))
    bodies = [p.split(") ", 1)[1] if n > 1 else p for p in parts]
    if text.startswith("x"):  # one long word: cut, nothing lost
        assert "".join(bodies) == text
    else:
        assert " ".join(bodies).split() == text.split()


@pytest.mark.parametrize("limit", [100, 157, 400])
def test_split_never_cuts_inside_a_word(limit):
    parts = split_body(WORDS, limit)
    words = set(WORDS.split())
    for part in parts:
        assert set(part.split(") ", 1)[1].split()) <= words


def test_split_prefers_line_breaks():
    parts = split_body(LINES, 300)
    for part in parts:
        body = part.split(") ", 1)[1]
        assert body.startswith("• bullet") and body.endswith("about the day")


@pytest.mark.parametrize(
    "text,limit,count", [("short", 100, 1), ("a " * 60, 100, 2), ("y" * 1000, 100, 11)]
)
def test_part_counts(text, limit, count):
    parts = split_body(text, limit)
    assert len(parts) == count
    assert count == 1 or parts[-1].startswith(f"({count}/{count}) ")


def test_a_single_long_word_is_cut():
    parts = split_body("x" * 250, 100)
    assert [len(p) for p in parts] == [100, 100, 68] and parts[0].startswith("(1/3) ")


def test_tiny_limits_are_refused():
    with pytest.raises(ValueError):
        split_body("hello world", 10)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("a\nb", "a | b"),
        ("a\tb", "a b"),
        ("a     b", "a b"),
        ("", "–"),
        (None, "–"),
        ("  \n ", "–"),
        ("*Wins*\n• one\n\n• two", "*Wins* | • one | • two"),
        (42, "42"),
    ],
)
def test_sanitize_variable(value, expected):
    assert sanitize_variable(value) == expected


def test_sanitize_caps_long_values_at_a_word():
    value = sanitize_variable("word " * 200, max_chars=50)
    assert len(value) <= 50 and value.endswith("…") and "wor…" not in value


@pytest.mark.parametrize(
    "mapping,expected_keys",
    [({"1": "date", "2": "headline"}, ["1", "2"]), ({"10": "calls", "2": "date"}, ["2", "10"])],
)
def test_template_variables_json(mapping, expected_keys):
    facts = {"date": "Wed 18 Nov 2026", "headline": "Good\nday", "calls": ""}
    values = json.loads(template_variables(mapping, facts))
    assert list(values) == expected_keys
    assert all(v and "\n" not in v for v in values.values())


def _config(**kw):
    base = dict(
        provider="twilio", account_sid_env="A", auth_token_env="T", from_number="+14155550100"
    )
    return TwilioDigest(**base, **kw)


def test_plan_parts_template_and_body():
    facts = {"date": "Wed 18 Nov 2026", "headline": "4 booked", "body": LINES}
    [template] = plan_parts(_config(content_sid="HX" + "a" * 32), facts)
    assert template.mode == "template" and json.loads(template.content_variables)["2"] == "4 booked"
    parts = plan_parts(_config(mode="body", max_body_chars=400), facts)
    assert len(parts) > 1 and {p.parts for p in parts} == {len(parts)}
    assert len({p.sha256 for p in parts}) == len(parts), "each part has its own identity"


@pytest.mark.parametrize(
    "part,body,matches",
    [
        (Part(0, 1, "body", body="hello"), "hello", True),
        (Part(0, 1, "body", body="hello"), "hello!", False),
        (Part(0, 1, "template", content_sid="HX1", content_variables='{"1": "a", "2": "b"}'),
         "Digest a: b", True),
        (Part(0, 1, "template", content_sid="HX1", content_variables='{"1": "a", "2": "zz"}'),
         "Digest a: b", False),
        (Part(0, 1, "template", content_sid="HX1", content_variables='{"1": "a"}'), None, False),
    ],
)  # fmt: skip
def test_part_matches(part, body, matches):
    assert part.matches(body) is matches


@pytest.mark.parametrize(
    "old,new,kept",
    [
        ("queued", "sent", "sent"),
        ("delivered", "sent", "delivered"),
        ("sent", "undelivered", "undelivered"),
        ("delivered", "read", "read"),
        ("sending", "queued", "queued"),
        (None, "queued", "queued"),
        ("queued", None, "queued"),
    ],
)
def test_advance_never_goes_backwards(old, new, kept):
    assert advance(old, new) == kept


@pytest.mark.parametrize(
    "statuses,overall",
    [
        (["delivered", "delivered"], "delivered"),
        (["delivered", "sent"], "sent"),
        (["read", "failed"], "failed"),
        (["queued", "sending"], "sending"),
        ([], "sending"),
    ],
)
def test_overall_status(statuses, overall):
    assert overall_status(statuses) == overall
