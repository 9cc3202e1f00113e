"""The SQL call source against real databases: SQLite and the machine's PostgreSQL."""

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.source_configs import SqlCallsConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.sql import SqlCallSource
from conftest import fresh_postgres_db, requires_postgres

DDL = """CREATE TABLE cdr (
  uniqueid VARCHAR(40) PRIMARY KEY, caller VARCHAR(30), call_time TIMESTAMP,
  billsec INTEGER, disposition VARCHAR(20), agent VARCHAR(30), updated_at TIMESTAMP)"""
ROWS = [  # source times are Asia/Kolkata wall-clock (naive), as many call-centre DBs keep them
    ("c1", "098123 45678", "2026-11-18 09:15:00", 120, "ANSWER", "Riya", "2026-11-18 09:20:00"),
    ("c2", "+91 98123 45679", "2026-11-18 23:59:00", 0, "NO ANSWER", "Riya", "2026-11-19 00:00:10"),
    ("c3", "9812345680", "2026-11-19 00:10:00", 60, "ANSWER", "Kabir", "2026-11-19 00:12:00"),
    ("c4", "call me", "2026-11-18 11:00:00", 30, "BUSY", "Kabir", "2026-11-18 11:01:00"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=requires_postgres)])
def source_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/cdr.db"
        yield _seed(url)
    else:
        with fresh_postgres_db() as url:
            yield _seed(url.replace("postgresql://", "postgresql+psycopg2://"))


def _seed(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text(DDL))
        for row in ROWS:
            con.execute(
                sa.text("INSERT INTO cdr VALUES (:a, :b, :c, :d, :e, :f, :g)"),
                dict(zip("abcdefg", row, strict=True)),
            )
    engine.dispose()
    return url


def config(**kw) -> SqlCallsConfig:
    base = dict(
        provider="sql",
        url_env="CDR_URL",
        table="cdr",
        watermark_column="updated_at",
        source_timezone="Asia/Kolkata",
        columns={
            "call_id": "uniqueid",
            "phone": "caller",
            "started_at": "call_time",
            "duration_seconds": "billsec",
            "status": "disposition",
            "agent_name": "agent",
        },
    )
    return SqlCallsConfig.model_validate(base | kw)


DAY = date(2026, 11, 18)
WINDOW = SyncWindow(
    "acme",
    DAY,
    datetime(2026, 11, 17, 18, 30),
    datetime(2026, 11, 18, 18, 30),
    datetime(2026, 11, 20),
)


def test_full_day_in_the_tenants_timezone(source_url):
    calls = SqlCallSource("acme", config(), source_url).fetch_calls(WINDOW)
    assert sorted(c["call_id"] for c in calls) == ["c1", "c2", "c4"]
    c1 = next(c for c in calls if c["call_id"] == "c1")
    assert c1["started_at_utc"] == datetime(2026, 11, 18, 3, 45)  # 09:15 IST
    assert c1["call_status"] == "completed" and c1["duration_seconds"] == 120
    assert {c["call_id"]: c["call_status"] for c in calls}["c2"] == "no_answer"
    assert c1["src_updated_at"] is not None, "unmodelled columns are kept, not dropped"


def test_incremental_by_watermark_resumes_from_the_sources_own_mark(source_url):
    source = SqlCallSource("acme", config(), source_url)
    since = datetime(2026, 11, 18, 18, 25)  # 23:55 IST: only rows updated after it
    window = SyncWindow("acme", DAY, WINDOW.start_utc, WINDOW.end_utc, WINDOW.now_utc, since)
    calls = source.fetch_calls(window)
    assert sorted(c["call_id"] for c in calls) == ["c2", "c3"]
    assert source.next_cursor == datetime(2026, 11, 18, 18, 42)  # c3's 00:12 IST


def test_answered_only(source_url):
    calls = SqlCallSource("acme", config(answered_only=True), source_url).fetch_calls(WINDOW)
    assert [c["call_id"] for c in calls] == ["c1"]


def test_wrong_table_fails_clearly(source_url):
    with pytest.raises(PermanentProviderError, match="tenant acme: sql: query failed"):
        SqlCallSource("acme", config(table="nope"), source_url).fetch_calls(WINDOW)


def test_column_names_must_be_identifiers():
    with pytest.raises(ValueError, match="pattern"):
        config(watermark_column="updated_at; DROP TABLE cdr")


def test_unreachable_database_is_retried_then_fails_clearly():
    source = SqlCallSource("acme", config(), "postgresql+psycopg2://postgres@127.0.0.1:9/none")
    source.connect_attempts = 2
    with pytest.raises(PermanentProviderError, match="tenant acme: sql: query failed") as err:
        source.fetch_calls(WINDOW)
    assert "postgres@" not in str(err.value)
