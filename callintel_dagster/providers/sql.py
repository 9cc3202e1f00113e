"""Calls from a call-centre database (seed 001) through SQLAlchemy, by day or by watermark.

A full window reads the calls that started on the tenant's local day; an incremental window reads
rows whose watermark moved since the cursor. The source's own highest watermark becomes the next
cursor (`next_cursor`), so clocks on the two sides never need to agree.
"""

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from callintel_dagster.lib.ingest.checks import QUARANTINE_KEY
from callintel_dagster.lib.ingest.sanitise import clean_value
from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import SqlCallsConfig
from callintel_dagster.providers.base import PermanentProviderError, SourceCapabilities
from callintel_dagster.providers.http import retrying
from callintel_dagster.providers.secrets import secret

CONNECT_WAIT_S = 8.0  # the longest wait between connection attempts
STATUS_DEFAULTS = {
    "answer": "completed",
    "answered": "completed",
    "completed": "completed",
    "noanswer": "no_answer",
    "no answer": "no_answer",
    "no_answer": "no_answer",
    "busy": "busy",
    "failed": "failed",
    "cancel": "failed",
    "congestion": "failed",
    "voicemail": "voicemail",
}


class SqlCallSource:
    provider = "sql"
    capabilities = SourceCapabilities(own_watermark=True)

    def __init__(self, tenant_id: str, config: SqlCallsConfig, url: str):
        if (config.table is None) == (config.query is None):
            raise PermanentProviderError(tenant_id, "sql", "configure exactly one of table, query")
        self.tenant_id, self.config = tenant_id, config
        self.requests = 0
        self.next_cursor: datetime | None = None
        self.connect_attempts = 4
        self._engine = engine_for(tenant_id, url)

    def fetch_calls(self, window: SyncWindow) -> list[dict]:
        c = self.config.columns
        source = (
            sa.text(f"({self.config.query})") if self.config.query else sa.text(self.config.table)
        )
        if window.since_utc is None:
            where = f"{c.started_at} >= :lo AND {c.started_at} < :hi"
            params = {
                "lo": self._to_source(window.start_utc),
                "hi": self._to_source(window.end_utc),
            }
        else:
            where = f"{self.config.watermark_column} >= :since"
            params = {"since": self._to_source(window.since_utc)}
        if self.config.answered_only and c.status:
            names = ", ".join(f":s{i}" for i in range(len(self.config.answered_statuses)))
            where += f" AND {c.status} IN ({names})"
            params |= {f"s{i}": s for i, s in enumerate(self.config.answered_statuses)}
        sql = sa.text(
            f"SELECT *, {self.config.watermark_column} AS _watermark "
            f"FROM {source.text} AS source WHERE {where} ORDER BY {self.config.watermark_column}"
        )
        try:
            with self._connect() as con:
                self.requests += 1
                rows = [dict(r._mapping) for r in con.execute(sql, params)]
        except sa.exc.DBAPIError as exc:
            raise PermanentProviderError(
                self.tenant_id, "sql", f"query failed: {driver_message(exc.orig)}"
            ) from None
        records = [self._read_row(row) for row in rows]
        marks = [r.pop("_watermark_utc") for r in records if r.get("_watermark_utc")]
        self.next_cursor = max(marks) if marks else None
        return records

    def _read_row(self, row: dict[str, Any]) -> dict:
        """One source row as a call record. Text the database gives as bytes (SQLite keeps any
        bytes in TEXT) is decoded with replacement characters and noted in `repairs`; a row that
        still cannot be read comes back with its quarantine reason, never failing the others."""
        found: dict[str, set[str]] = {}
        for key, value in row.items():
            if isinstance(value, bytes):
                found[key] = set()
                row[key] = clean_value(value, found[key])
        repairs = [f"{k}:{reason}" for k, reasons in found.items() for reason in sorted(reasons)]
        try:
            record = self._record(row)
            record["_watermark_utc"] = self._to_utc(row["_watermark"])
        except Exception as exc:  # noqa: BLE001 - this row is quarantined, the others land
            call_id = row.get(self.config.columns.call_id)
            return {
                "call_id": None if call_id is None else str(call_id),
                QUARANTINE_KEY: f"unreadable row: {type(exc).__name__}",
                "source_row": {k: v for k, v in row.items() if k != "_watermark"},
            }
        if repairs:
            record["repairs"] = repairs
        return record

    def _connect(self) -> sa.Connection:
        # a database that is down or restarting may be back in seconds: retry connecting (only
        # connecting; a query that fails on a missing table or column will fail again)
        return retrying(sa.exc.OperationalError, self.connect_attempts, CONNECT_WAIT_S)(
            self._engine.connect
        )

    def _record(self, row: dict[str, Any]) -> dict:
        c = self.config.columns
        started = self._to_utc(row[c.started_at])
        duration = float(row[c.duration_seconds] or 0) if c.duration_seconds else None
        raw_status = str(row[c.status]) if c.status and row.get(c.status) is not None else ""
        mapped = {k.lower(): v for k, v in self.config.status_map.items()}
        status = mapped.get(raw_status.lower()) or STATUS_DEFAULTS.get(raw_status.lower())
        modelled = {v for v in c.model_dump().values() if v} | {"_watermark"}
        return {
            "call_id": str(row[c.call_id]),
            "phone_raw": None if row.get(c.phone) is None else str(row[c.phone]),
            "started_at_utc": started,
            "ended_at_utc": None if duration is None else started + timedelta(seconds=duration),
            "duration_seconds": duration,
            "call_status": status or ("completed" if (duration or 0) > 0 else "failed"),
            "agent_name": row.get(c.agent_name) if c.agent_name else None,
            "direction": row.get(c.direction) if c.direction else None,
            "recording_url": row.get(c.recording_url) if c.recording_url else None,
            "transcript_text": row.get(c.transcript) if c.transcript else None,
            "source_status": raw_status or None,
            **{f"src_{k}": v for k, v in row.items() if k not in modelled},
        }

    def _to_source(self, utc: datetime) -> datetime:
        return (
            utc.replace(tzinfo=ZoneInfo("UTC"))
            .astimezone(ZoneInfo(self.config.source_timezone))
            .replace(tzinfo=None)
        )

    def _to_utc(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(self.config.source_timezone))
        return value.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


# What people copy from a database console, and the SQLAlchemy URL with a driver we install.
_SCHEMES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
_DRIVER_PACKAGES = {
    "psycopg": "psycopg",
    "psycopg2": "psycopg2-binary",
    "pymysql": "PyMySQL",
    "mysqldb": "mysqlclient",
    "pyodbc": "pyodbc",
    "cx_oracle": "cx-Oracle",
    "oracledb": "oracledb",
    "asyncpg": "asyncpg",
}


def normalise_url(url: str) -> str:
    """`postgresql://`, `postgres://` and `mysql://` get a driver that is installed; a URL that
    names its driver (`postgresql+psycopg2://`, `sqlite:///...`) is kept as it is."""
    scheme, sep, rest = url.partition("://")
    return f"{_SCHEMES.get(scheme.lower(), scheme)}{sep}{rest}" if sep else url


def engine_for(tenant_id: str, url: str) -> sa.Engine:
    """An engine for the tenant's database URL; a scheme whose driver is missing is a one-line
    error naming the package (never the URL: it holds the password)."""
    try:
        parsed = sa.engine.make_url(normalise_url(url))
    except sa.exc.ArgumentError:
        raise PermanentProviderError(
            tenant_id, "sql", "the database URL is not a URL like postgresql://user@host/db"
        ) from None
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=True)
    except (ModuleNotFoundError, sa.exc.NoSuchModuleError) as exc:
        missing = getattr(exc, "name", None) or parsed.get_driver_name()
        package = _DRIVER_PACKAGES.get(str(missing).split(".")[0].lower(), missing)
        raise PermanentProviderError(
            tenant_id,
            "sql",
            f"no driver for {parsed.drivername}:// URLs (install the Python package {package}, "
            "or use postgresql://, mysql:// or sqlite:///)",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        # SQLite keeps any bytes in a TEXT column: read them as bytes, decode them ourselves
        # (with replacement characters, noted per row) instead of failing the whole query
        sa.event.listen(engine, "connect", _sqlite_text_as_bytes)
    return engine


def _sqlite_text_as_bytes(dbapi_connection, _record) -> None:
    dbapi_connection.text_factory = bytes


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def driver_message(exc: BaseException) -> str:
    """The driver's first line (no table, no column, connection refused), with quoted values
    that are not identifiers blanked: a driver may quote the row's text or a value it refused."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""

    def keep_identifiers(match: re.Match) -> str:
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        return match.group(0) if re.fullmatch(r"[A-Za-z_][\w.]{0,63}", quoted) else "'…'"

    return f"{type(exc).__name__}: {_QUOTED.sub(keep_identifiers, first)}"[:300]


def source_for(tenant: Tenant, config: SqlCallsConfig, home: Path) -> SqlCallSource:
    """The registry's factory: calls from the tenant's call-centre database."""
    return SqlCallSource(
        tenant.id, config, secret(tenant.id, SqlCallSource.provider, config.url_env)
    )
