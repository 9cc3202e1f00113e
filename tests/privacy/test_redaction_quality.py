"""The committed labelled set as a regression guard: the issue's bar, on every half of it."""

import time

import pytest

from bench.redaction import ENTITIES, load_rows, score
from callintel_dagster.lib.tenants.privacy_config import PrivacyConfig
from callintel_dagster.privacy import Redactor


@pytest.fixture(scope="module")
def find():
    return Redactor.for_config(PrivacyConfig(entities=ENTITIES)).find


@pytest.mark.parametrize("split", ["dev", "heldout", "handwritten"])
def test_phone_recall_and_precision_meet_the_bar(find, split):
    rows = [r for r in load_rows() if r["split"] == split]
    phone = score(rows, find)["PHONE"]
    assert phone["recalled"] / phone["gold"] >= 0.95
    assert phone["correct"] / phone["found"] >= 0.9


def test_no_pattern_entity_drops_below_its_measured_level(find):
    tally = score(load_rows(), find)
    for entity in ("EMAIL", "CARD", "AADHAAR", "PAN", "UPI", "IFSC", "ACCOUNT", "SSN"):
        t = tally[entity]
        assert t["recalled"] / t["gold"] >= 0.9, entity
        assert t["correct"] / max(t["found"], 1) >= 0.9, entity


@pytest.mark.parametrize(
    "text",
    ["a_" * 2000 + "!", "a." * 2000, "a dot " * 1000 + "b at c", "1 " * 1500, "nine " * 3000],
)
def test_hostile_text_stays_fast(find, text):
    started = time.perf_counter()
    find([text])
    assert time.perf_counter() - started < 1.5
