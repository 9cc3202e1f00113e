"""The SQL call source against real databases: SQLite and the machine's PostgreSQL."""

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.source_configs import SqlCallsConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.sql import SqlCallSource, driver_message, normalise_url
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


def test_a_row_with_bytes_that_are_not_utf8_lands_repaired(tmp_path):
    url = _seed(f"sqlite:///{tmp_path}/cdr.db")
    engine = sa.create_engine(url)
    with engine.begin() as con:  # a Latin-1 agent name, as an older system wrote it
        con.execute(
            sa.text("UPDATE cdr SET agent = CAST(X'52656EE9652100' AS TEXT) WHERE uniqueid = 'c1'")
        )
    engine.dispose()
    calls = SqlCallSource("acme", config(), url).fetch_calls(WINDOW)
    assert sorted(c["call_id"] for c in calls) == ["c1", "c2", "c4"]  # nothing lost
    c1 = next(c for c in calls if c["call_id"] == "c1")
    assert c1["agent_name"] == "Ren\ufffde!"
    assert c1["repairs"] == ["agent:control_chars", "agent:invalid_utf8"]
    assert all("repairs" not in c for c in calls if c["call_id"] != "c1")


def test_an_unreadable_row_is_returned_for_quarantine_and_the_others_land(tmp_path):
    url = _seed(f"sqlite:///{tmp_path}/cdr.db")
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(
            sa.text(
                "UPDATE cdr SET call_time = '2026-11-18 10:00:00 garbage' WHERE uniqueid = 'c4'"
            )
        )
    engine.dispose()
    calls = SqlCallSource("acme", config(), url).fetch_calls(WINDOW)
    bad = [c for c in calls if c.get("quarantine_reason")]
    assert [c["call_id"] for c in bad] == ["c4"]
    assert bad[0]["quarantine_reason"] == "unreadable row: ValueError"
    assert "garbage" not in bad[0]["quarantine_reason"]
    assert sorted(c["call_id"] for c in calls if c not in bad) == ["c1", "c2"]


@pytest.mark.parametrize(
    "url,expected",
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("mysql://u@h/db", "mysql+pymysql://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_urls_as_people_copy_them(url, expected):
    assert normalise_url(url) == expected


@requires_postgres
def test_a_plain_postgresql_url_works():
    with fresh_postgres_db() as url:
        assert url.startswith("postgresql://")
        calls = SqlCallSource("acme", config(), _seed(url)).fetch_calls(WINDOW)
    assert sorted(c["call_id"] for c in calls) == ["c1", "c2", "c4"]


def test_a_plain_mysql_url_works_against_mariadb():
    admin = sa.create_engine("mysql+pymysql://root@127.0.0.1:3306/test")
    try:
        with admin.begin() as con:
            con.execute(sa.text("DROP TABLE IF EXISTS cdr"))
    except sa.exc.OperationalError:
        pytest.skip("MariaDB is not running on 127.0.0.1:3306")
    finally:
        admin.dispose()
    url = _seed("mysql://root@127.0.0.1:3306/test".replace("mysql://", "mysql+pymysql://"))
    calls = SqlCallSource("acme", config(), "mysql://root@127.0.0.1:3306/test").fetch_calls(WINDOW)
    assert sorted(c["call_id"] for c in calls) == ["c1", "c2", "c4"]
    assert url


def test_a_scheme_without_its_driver_names_the_package_in_one_line():
    with pytest.raises(PermanentProviderError) as err:
        SqlCallSource("acme", config(), "mssql+pyodbc://sa:secret@host/db")
    message = str(err.value)
    assert "pyodbc" in message and "\n" not in message and "secret" not in message


def test_driver_messages_never_carry_values():
    exc = ValueError(
        "Could not decode to UTF-8 column 'transcript' with text 'Mr Sharma said 9812'"
    )
    message = driver_message(exc)
    assert "Sharma" not in message and "'transcript'" in message
