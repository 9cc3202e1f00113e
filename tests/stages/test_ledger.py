"""The exactly-once ledger (stages/ledger.py) on a temporary DuckDB: the "sending" row is
committed before the call, a row with the service's id is never sent again, a "sending" row is
in doubt (reconciled before any resend), a held failure waits for `force`."""

from datetime import date

import pytest

from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.digest import whatsapp_ledger
from callintel_dagster.stages.ledger import SENDING, Step, utcnow
from callintel_dagster.stages.writeback import MAX_ATTEMPTS, writeback_ledger

DAY = date(2026, 11, 18)
PART = {
    "tenant_id": "acme", "partition_date": DAY, "recipient": "+919812345678", "part_index": 0,
    "parts": 1, "mode": "body", "body_sha256": "h", "message_sid": None, "error_code": None,
    "error_message": None,
}  # fmt: skip
NOTE = {
    "tenant_id": "acme", "partition_date": DAY, "call_id": "c1", "agent_version": "v1",
    "provider": "zoho", "lead_id": "L1", "remote_id": None, "reason": None, "attempts": 1,
}  # fmt: skip


@pytest.fixture
def warehouse(tmp_path):
    return Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb")


def test_claim_commits_a_sending_row_before_the_call(warehouse, tmp_path):
    ledger = whatsapp_ledger(warehouse)
    claimed = ledger.claim({**PART, **_created()})
    # a second process (another Warehouse on the same file) sees it: committed, not pending
    other = whatsapp_ledger(Warehouse(url=f"duckdb:///{tmp_path}/w.duckdb"))
    [row] = other.rows("recipient = ?", [PART["recipient"]])
    assert row["status"] == SENDING == claimed["status"] and row["message_sid"] is None
    assert other.step(row) is Step.IN_DOUBT, "a crash now is detected by the next run"


def test_settle_replaces_the_claimed_row(warehouse):
    ledger = whatsapp_ledger(warehouse)
    claimed = ledger.claim({**PART, **_created()})
    ledger.settle(claimed, status="queued", message_sid="SM1")
    [row] = ledger.rows("tenant_id = ?", ["acme"])
    assert (row["status"], row["message_sid"]) == ("queued", "SM1")
    assert row["updated_at_utc"] >= row["created_at_utc"]


@pytest.mark.parametrize(
    "status, sid, step",
    [
        ("queued", "SM1", Step.DONE),  # Twilio has it: never sent again
        ("failed", "SM1", Step.DONE),  # delivered and then failed: still never resent
        ("failed", None, Step.HELD),  # a permanent failure stays visible
        ("undelivered", None, Step.HELD),
        (SENDING, None, Step.IN_DOUBT),  # the answer was lost: look before sending
        ("retry", None, Step.SEND),  # transient trouble outlasted the retries: send
    ],
)
def test_whatsapp_policy(warehouse, status, sid, step):
    ledger = whatsapp_ledger(warehouse)
    row = {**PART, "status": status, "message_sid": sid}
    assert ledger.step(row) is step
    assert ledger.step(row, force=True) is Step.SEND, "an explicit resend sends again"
    assert ledger.step(None) is Step.SEND


@pytest.mark.parametrize(
    "status, attempts, step",
    [
        ("written", 1, Step.DONE),
        ("failed", MAX_ATTEMPTS - 1, Step.SEND),
        ("failed", MAX_ATTEMPTS, Step.HELD),  # given up
        (SENDING, 1, Step.IN_DOUBT),
        (SENDING, MAX_ATTEMPTS, Step.HELD),
        ("no_lead", 0, Step.SEND),  # re-checked every run
    ],
)
def test_writeback_policy(warehouse, status, attempts, step):
    assert (
        writeback_ledger(warehouse).step({**NOTE, "status": status, "attempts": attempts}) is step
    )


def test_both_ledgers_keep_one_row_per_key(warehouse):
    notes = writeback_ledger(warehouse)
    claimed = notes.claim(NOTE)
    notes.settle(claimed, status="written", remote_id="n1")
    notes.save({**NOTE, "status": "written", "remote_id": "n1"})
    rows = notes.rows_in([("acme", DAY)])
    assert [(r["status"], r["remote_id"]) for r in rows] == [("written", "n1")]
    assert rows[0]["written_at_utc"] is not None


def _created() -> dict:
    now = utcnow()
    return {"created_at_utc": now, "updated_at_utc": now}
