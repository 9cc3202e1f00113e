"""One tenant's sync of a source for a run's days: fetch, upsert by provider id, advance the cursor.

- An incremental sync (the 5-minute schedule) fetches, for the tenant's local today, only what
  changed since the tenant's cursor; any other sync refetches its days in full. Either way
  records are upserted by (tenant, provider id) and nothing is deleted.
- The tenant's rows are written in one transaction together with its cursor, so a failed sync
  never advances the cursor.
"""

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pandas as pd

from callintel_dagster.lib.dayspan import day_window_utc, local_date_of, local_today
from callintel_dagster.lib.ingest.rows import dedupe_by_id, record_hash
from callintel_dagster.lib.ingest.sanitise import sanitise
from callintel_dagster.lib.ingest.window import SyncWindow
from callintel_dagster.lib.tables import QUARANTINED_RECORDS, SYNC_CURSORS, SYNC_LOG, Table
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import Source, SourceCapabilities, capabilities_of
from callintel_dagster.resources.warehouse import RowUpsert, SliceWrite, Warehouse

T = TypeVar("T")
R = TypeVar("R")
# Incremental syncs re-read a little before the cursor: upserts make the overlap harmless, and it
# covers clock skew between us and the provider.
CURSOR_OVERLAP = timedelta(minutes=2)
# the run tag that asks for an incremental sync (set by the 5-minute schedule)
SYNC_MODE_TAG = "callintel/sync"
COUNTERS = (
    "fetched",
    "inserted",
    "updated",
    "unchanged",
    "requests",
    "full_windows",
    "incremental_windows",
    "quarantined",
)
CURSOR_SQL = f"SELECT cursor_utc FROM {SYNC_CURSORS.qualified} WHERE tenant_id = ? AND source = ?"
# the stored content hashes of some records ({marks}: one ? per id)
KNOWN_HASHES_SQL = (
    "SELECT {id} AS id, record_hash FROM {table} WHERE tenant_id = ? AND {id} IN ({marks})"
)
HASH_LOOKUP_BATCH = 500
OPEN_QUARANTINE_SQL = (
    f"SELECT * FROM {QUARANTINED_RECORDS.qualified} "
    "WHERE tenant_id = ? AND source = ? AND status = 'open'"
)


@dataclass(frozen=True)
class SyncSpec:
    name: str  # the asset, the sync_log source and the cursor name
    table: Table
    id_column: str
    fetch: Callable[[object, SyncWindow], list[dict]]
    to_rows: Callable[..., pd.DataFrame]  # (tenant_id, day, region, provider, records, now)
    timestamp_of: Callable[[dict], datetime | None]  # what puts a record on a local day
    # why a (sanitised) record cannot become a row, naming the field: it is quarantined alone
    problem: Callable[[dict], str | None]
    preview_columns: list[str]
    status_column: str | None = None
    # (db, tenant, rows, counts, log, now) -> (rows kept, more writes for the same
    # transaction); e.g. the CRM phone filter of calls, which holds the others back
    keep: Callable[..., tuple[pd.DataFrame, list]] | None = None
    # records the provider may still change (a Bolna call-disconnected before completed): re-read
    # by id on every sync until final, for sources that can (capabilities.rereads_by_id)
    pending_sql: str | None = None
    # a second record type the same source returns for the same windows (CRM deals with leads)
    companion: "SyncSpec | None" = None
    # whether a source can give the companion, from its declared capabilities (e.g. has_deals)
    offered_by: Callable[[SourceCapabilities], bool] = lambda capabilities: True
    # (tenant, sanitised record) -> the record with its personal data redacted per the tenant's
    # privacy block, before it becomes a row or a quarantine payload (docs/privacy.md)
    redact: Callable[[Tenant, dict], dict] | None = None


@dataclass
class TenantSync:
    """What one tenant's sync wrote: its rows (after `keep`) and its counters."""

    rows: pd.DataFrame
    counts: Counter = field(default_factory=Counter)
    quarantined: list[dict] = field(default_factory=list)  # raw.quarantined_records rows


def sync_tenant(
    warehouse: Warehouse,
    tenant: Tenant,
    days: list[date],
    source: Source,
    spec: SyncSpec,
    now: datetime,
    incremental: bool = False,
    log=None,
) -> TenantSync:
    """Fetch the tenant's days from `source`, write rows, sync log and cursor in one transaction,
    then let the source commit what it took. `log`: a logging.Logger-like for warnings.

    The three phases (`read_state`, `fetch`, `write`) are separate so a run syncing many tenants
    reads every tenant's state on one connection and writes each tenant's transaction on another
    (see assets/ingest.py): opening a DuckDB connection (~50 ms: a file lock, the catalog, a
    checkpoint on close) was most of the 5-minute tick's time when every query opened one."""
    warehouse.ensure_schema()
    with warehouse.connect() as con:
        state = read_state(InTransaction(warehouse, con), tenant, source, spec)
    fetched = fetch(tenant, days, source, spec, now, state if incremental else state.full())
    with warehouse.connect() as con:
        write(warehouse, con, fetched, spec, now, log)
    return finish(fetched)


@dataclass(frozen=True)
class SyncState:
    """What a tenant's fetch needs from the warehouse: its cursor, its records not final yet."""

    cursor: datetime | None
    pending: list[str]
    incremental: bool = True

    def full(self) -> "SyncState":
        return SyncState(self.cursor, self.pending, incremental=False)


@dataclass
class Fetched:
    """A tenant's fetch, screened and shaped into rows, not written yet."""

    tenant: Tenant
    days: list[date]
    today: date  # the tenant's local today when the fetch began
    source: Source
    state: SyncState
    logs: list[dict]
    records: list[dict]
    quarantined: list[dict]
    frame: pd.DataFrame
    companion: "_Companion | None"
    counts: Counter


def read_state(db: "InTransaction", tenant: Tenant, source: Source, spec: SyncSpec) -> SyncState:
    return SyncState(_cursor(db, tenant.id, spec.name), _pending_ids(db, tenant, source, spec))


def fetch(
    tenant: Tenant, days: list[date], source: Source, spec: SyncSpec, now: datetime, state
) -> Fetched:
    """The provider requests for the tenant's days (no warehouse access): today's window from
    the cursor when `state.incremental`, the records not final yet by id."""
    counts: Counter = Counter()
    today = local_today(tenant.timezone)
    since = state.cursor if state.incremental else None
    windows = _windows(tenant, days, now, today, since)
    fetched, logs = [], []
    for window in windows:
        got = spec.fetch(source, window)
        fetched += [(window.day, record) for record in got]
        logs.append(_log_row(window, spec.name, source.provider, len(got)))
        counts["incremental_windows" if window.incremental else "full_windows"] += 1
    if state.pending:
        counts["reread_pending"] += len(state.pending)
        fetched += [(None, r) for r in source.fetch_by_ids(state.pending)]
    records, quarantined = screen(tenant, spec, source.provider, fetched, now)
    frame = _rows(tenant, spec, source.provider, records, now)
    companion = _companion_fetch(tenant, source, spec, windows, now)
    return Fetched(
        tenant, days, today, source, state, logs, records, quarantined, frame, companion, counts
    )


def write(warehouse: Warehouse, con, got: Fetched, spec: SyncSpec, now: datetime, log) -> None:
    """The tenant's rows, sync log, quarantine and cursor, inside the caller's transaction on
    `con` (after `warehouse.ensure_schema()`); compared with what is stored for the counters."""
    db, tenant, counts, frame = InTransaction(warehouse, con), got.tenant, got.counts, got.frame
    kept_ops = []
    if spec.keep:
        frame, kept_ops = spec.keep(db, tenant, frame, counts, log, now)
    counts.update(_count_changes(db, spec, tenant.id, frame))
    ops = [
        *kept_ops,
        RowUpsert(spec.table, ("tenant_id", spec.id_column), frame),
        SliceWrite(
            SYNC_LOG,
            [(tenant.id, d) for d in got.days],
            pd.DataFrame(got.logs),
            {"source": spec.name},
        ),
        *_quarantine_upserts(db, tenant.id, spec, frame, got.quarantined, now, counts),
    ]
    if got.today in got.days:  # the cursor marks how far "today" has been read
        cursor_at = _next_cursor(got.source, got.state.cursor, now)
        ops.append(_cursor_upsert(tenant.id, spec.name, got.source.provider, cursor_at))
    if got.companion is not None:
        ops += _companion_upserts(db, tenant.id, got.companion, now, counts)
    warehouse.write_in(con, ops)
    got.frame = frame  # what `keep` let through


def finish(got: Fetched) -> TenantSync:
    """After the tenant's transaction committed: the source may now commit what it took."""
    if capabilities_of(got.source).commits_after_write:  # a drop folder moves its files
        got.source.commit()
    got.counts["fetched"] += len(got.records)
    got.counts["requests"] += got.source.requests
    return TenantSync(got.frame, got.counts, got.quarantined)


def own_transaction(warehouse: Warehouse, con, work: Callable[[Tenant, T], R]):
    """`work` as a transaction of its own on `con` (a `warehouse.connect()` connection, held for
    many tenants): committed when it returns, rolled back when it raises, the next one begun."""

    def in_own(tenant: Tenant, item: T) -> R:
        try:
            result = work(tenant, item)
        except BaseException:
            _next_transaction(warehouse, con, commit=False)
            raise
        _next_transaction(warehouse, con, commit=True)
        return result

    return in_own


def _next_transaction(warehouse: Warehouse, con, commit: bool) -> None:
    try:
        con.commit() if commit else con.rollback()
    finally:
        if not warehouse.is_postgres:  # DuckDB's are explicit (psycopg2 begins one by itself)
            con.begin()


class InTransaction:
    """The `query` of a Warehouse, answered on a connection the caller holds open (inside its
    transaction), so a tenant's reads and its write share one connection."""

    def __init__(self, warehouse: Warehouse, con):
        self._warehouse, self._con = warehouse, con

    def query(self, sql: str, params=()) -> pd.DataFrame:
        cur = self._warehouse.cursor(self._con)
        cur.execute(self._warehouse.sql(sql), tuple(params))
        return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def _windows(
    tenant: Tenant, days: list[date], now: datetime, today: date, cursor: datetime | None
) -> list[SyncWindow]:
    """One window per day; today's reads only what changed since `cursor` when there is one."""
    windows = []
    for day in days:
        start, end = day_window_utc(day, tenant.timezone)
        since = cursor - CURSOR_OVERLAP if cursor and day == today else None
        windows.append(SyncWindow(tenant.id, day, start, end, now, since))
    return windows


def _pending_ids(db: InTransaction, tenant: Tenant, source, spec: SyncSpec) -> list[str]:
    """Ids of records not final yet, to read again (for sources that can)."""
    if not spec.pending_sql or not capabilities_of(source).rereads_by_id:
        return []
    return db.query(spec.pending_sql, [tenant.id]).iloc[:, 0].tolist()


@dataclass
class _Companion:
    spec: SyncSpec
    rows: pd.DataFrame
    quarantined: list[dict]


def _companion_fetch(
    tenant: Tenant, source, spec: SyncSpec, windows: list[SyncWindow], now: datetime
) -> _Companion | None:
    """The companion record type for the same windows, when the source offers it."""
    companion = spec.companion
    if companion is None or not companion.offered_by(capabilities_of(source)):
        return None
    fetched = [(w.day, r) for w in windows for r in companion.fetch(source, w)]
    records, quarantined = screen(tenant, companion, source.provider, fetched, now)
    rows = _rows(tenant, companion, source.provider, records, now)
    return _Companion(companion, rows, quarantined)


def _companion_upserts(
    db: InTransaction, tenant_id: str, companion: _Companion, now: datetime, counts: Counter
) -> list[RowUpsert]:
    spec, rows = companion.spec, companion.rows
    counts[spec.name] += len(rows)
    return [
        RowUpsert(spec.table, ("tenant_id", spec.id_column), rows),
        *_quarantine_upserts(db, tenant_id, spec, rows, companion.quarantined, now, counts),
    ]


def _rows(
    tenant: Tenant, spec: SyncSpec, provider: str, records: list[dict], now: datetime
) -> pd.DataFrame:
    """Rows grouped by each record's own local day (an overlap re-read may reach yesterday)."""
    by_day: dict[date, list[dict]] = defaultdict(list)
    for record in records:
        by_day[local_date_of(spec.timestamp_of(record), tenant.timezone)].append(record)
    frames = [
        spec.to_rows(tenant.id, day, tenant.default_region, provider, group, now)
        for day, group in sorted(by_day.items())
    ]
    frame = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=spec.table.column_names)
    )
    if "created_date" in frame.columns:  # leads and deals: the local day they were created
        frame["created_date"] = [
            None
            if pd.isna(ts)
            else local_date_of(pd.Timestamp(ts).to_pydatetime(), tenant.timezone)
            for ts in frame["created_at_utc"]
        ]
    return dedupe_by_id(frame, spec.id_column)[0]


def screen(
    tenant: Tenant, spec: SyncSpec, provider: str, fetched: list[tuple], now: datetime
) -> tuple[list[dict], list[dict]]:
    """Every record through the one sanitiser, then its checks: good records (with what was
    repaired) and quarantine rows for the ones that cannot become a row. `fetched`: (the window's
    day or None, record) pairs."""
    good, quarantined = [], []
    for window_day, record in fetched:
        clean, repairs = sanitise(record)
        repairs = sorted(set(repairs) | set(clean.pop("repairs", None) or ()))
        if spec.redact is not None:
            clean = spec.redact(tenant, clean)
        if problem := spec.problem(clean):
            quarantined.append(
                _quarantine_row(tenant, spec, provider, window_day, clean, problem, now)
            )
            continue
        good.append({**clean, "repairs": repairs} if repairs else clean)
    return good, quarantined


def _quarantine_row(
    tenant: Tenant, spec: SyncSpec, provider: str, day, record: dict, reason: str, now
) -> dict:
    record_id = record.get(spec.id_column)
    record_id = None if record_id is None or not str(record_id).strip() else str(record_id)
    if day is None:
        try:
            day = local_date_of(spec.timestamp_of(record), tenant.timezone)
        except Exception:  # noqa: BLE001 - no usable timestamp: the tenant's today
            day = local_today(tenant.timezone)
    return {
        "tenant_id": tenant.id,
        "partition_date": day,
        "source": spec.name,
        "provider": provider,
        "quarantine_id": record_id or f"hash:{record_hash(record)}",
        "record_id": record_id,
        "reason": reason,
        "payload_json": json.dumps(record, default=str, ensure_ascii=False),
        "status": "open",
        "quarantined_at_utc": now,
        "resolved_at_utc": None,
    }


def _quarantine_upserts(
    db: InTransaction,
    tenant_id: str,
    spec: SyncSpec,
    landed: pd.DataFrame,
    quarantined: list[dict],
    now: datetime,
    counts: Counter,
) -> list[RowUpsert]:
    """This sync's quarantined records, and the open ones whose record has now landed, resolved."""
    if quarantined:
        counts["quarantined"] += len(quarantined)
        for row in quarantined:
            counts[f"quarantined: {row['reason']}"] += 1
    open_rows = db.query(OPEN_QUARANTINE_SQL, [tenant_id, spec.name])
    landed_ids = set(landed[spec.id_column]) if len(landed) else set()
    resolved = open_rows[open_rows["record_id"].isin(landed_ids)].copy()
    if len(resolved):
        resolved["status"], resolved["resolved_at_utc"] = "resolved", now
        counts["quarantine_resolved"] += len(resolved)
    rows = pd.concat(
        [pd.DataFrame(quarantined, columns=QUARANTINED_RECORDS.column_names), resolved],
        ignore_index=True,
    )
    if rows.empty:
        return []
    rows = rows.drop_duplicates(subset=["quarantine_id"], keep="first")
    return [RowUpsert(QUARANTINED_RECORDS, ("tenant_id", "source", "quarantine_id"), rows)]


def _next_cursor(source, previous: datetime | None, now: datetime) -> datetime:
    """The pipeline's clock, or the source's own watermark for sources that keep one: the
    highest it gave, and the previous cursor when it gave no row."""
    if not capabilities_of(source).own_watermark:
        return now
    marks = [m for m in (source.next_cursor, previous) if m is not None]
    return max(marks) if marks else now


def _cursor(db: InTransaction, tenant_id: str, source: str) -> datetime | None:
    found = db.query(CURSOR_SQL, [tenant_id, source])
    return None if found.empty else pd.Timestamp(found["cursor_utc"].iloc[0]).to_pydatetime()


def _cursor_upsert(tenant_id: str, source: str, provider: str, at: datetime) -> RowUpsert:
    row = {
        "tenant_id": tenant_id,
        "source": source,
        "provider": provider,
        "cursor_utc": at,
        "updated_at_utc": datetime.now(UTC).replace(tzinfo=None),
    }
    return RowUpsert(SYNC_CURSORS, ("tenant_id", "source"), pd.DataFrame([row]))


def _count_changes(
    db: InTransaction, spec: SyncSpec, tenant_id: str, frame: pd.DataFrame
) -> Counter:
    """inserted / updated / unchanged, by comparing content hashes with what is stored."""
    known: dict[str, str] = {}
    ids = frame[spec.id_column].tolist()
    for i in range(0, len(ids), HASH_LOOKUP_BATCH):
        chunk = ids[i : i + HASH_LOOKUP_BATCH]
        sql = KNOWN_HASHES_SQL.format(
            id=spec.id_column, table=spec.table.qualified, marks=", ".join("?" * len(chunk))
        )
        found = db.query(sql, [tenant_id, *chunk])
        known.update(zip(found["id"], found["record_hash"], strict=True))
    changes: Counter = Counter()
    for record_id, digest in zip(frame[spec.id_column], frame["record_hash"], strict=True):
        previous = known.get(record_id)
        changes[
            "inserted" if previous is None else "unchanged" if previous == digest else "updated"
        ] += 1
    return changes


def _log_row(window: SyncWindow, source: str, provider: str, fetched: int) -> dict:
    return {
        "tenant_id": window.tenant_id,
        "partition_date": window.day,
        "source": source,
        "provider": provider,
        "fetched": fetched,
        "synced_at_utc": window.now_utc,
    }
