"""One tenant's call list: filters, sort and paging pushed into SQL, a CSV export, the facets.

Reads the core and raw tables (not the marts): the 5-minute processing path writes them without
running dbt, so a call shows here as soon as it is synced and analysed.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callintel_dagster.explorer.reader import Reader

SORTS = ("started", "duration", "quality", "lead_score", "agent")
CSV_BATCH = 5000

# the tables joined to a call, each on this tenant only (the tenant parameter repeats in every
# join); a query joins only those its filters and sort need: at 100k calls the joins dominate
JOINS = {
    "a": "LEFT JOIN core.call_analyses a ON a.tenant_id = ? "
    "AND a.partition_date = c.partition_date AND a.call_id = c.call_id",
    "t": "LEFT JOIN core.call_transcripts t ON t.tenant_id = ? "
    "AND t.partition_date = c.partition_date AND t.call_id = c.call_id",
    "r": "LEFT JOIN raw.call_recordings r ON r.tenant_id = ? "
    "AND r.partition_date = c.partition_date AND r.call_id = c.call_id",
}
LANGUAGE = "COALESCE(t.language, c.language)"  # detected from the words when transcribed
COLUMNS = f"""
  c.call_id, c.partition_date AS day, c.started_at_utc, c.agent_name, c.direction, c.phone_e164,
  c.duration_seconds, c.call_status, {LANGUAGE} AS language, a.sentiment_label, a.quality_score,
  a.contact_tag, a.qualification_stage, a.lead_score, a.summary,
  (r.recording_status = 'archived') AS has_recording"""
ORDER_BY = {  # sort -> (expression, the join it needs)
    "started": ("c.started_at_utc", ""),
    "duration": ("c.duration_seconds", ""),
    "quality": ("a.quality_score", "a"),
    "lead_score": ("a.lead_score", "a"),
    "agent": ("c.agent_name", ""),
}
EQUALS = {  # filter field -> (column, the join it needs)
    "agent": ("c.agent_name", ""),
    "status": ("c.call_status", ""),
    "sentiment": ("a.sentiment_label", "a"),
    "contact_tag": ("a.contact_tag", "a"),
    "language": (LANGUAGE, "t"),
    "stage": ("a.qualification_stage", "a"),
}
CSV_COLUMNS = (  # the list's columns, in the list's order
    "call_id day started_at_utc agent_name direction phone_e164 duration_seconds call_status "
    "language sentiment_label quality_score contact_tag qualification_stage lead_score summary "
    "has_recording"
).split()


class CallFilters(BaseModel):
    """What the call list shows; every field optional. Query parameters of the page and API."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day_from: date | None = None
    day_to: date | None = None
    agent: str | None = Field(None, max_length=200)
    status: str | None = Field(None, max_length=50)
    sentiment: str | None = Field(None, max_length=50)
    contact_tag: str | None = Field(None, max_length=50)
    language: str | None = Field(None, max_length=50)
    stage: str | None = Field(None, max_length=50)
    quality_min: float | None = Field(None, ge=0, le=100)
    quality_max: float | None = Field(None, ge=0, le=100)
    text: str | None = Field(None, max_length=200)
    sort: Literal["started", "duration", "quality", "lead_score", "agent"] = "started"
    order: Literal["desc", "asc"] = "desc"
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)

    @field_validator("agent", "status", "sentiment", "contact_tag", "language", "stage", "text")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v or None  # an empty box in a form means "any"

    @model_validator(mode="after")
    def _ranges(self) -> "CallFilters":
        if self.day_from and self.day_to and self.day_from > self.day_to:
            raise ValueError("day_from must not be after day_to")
        if (
            self.quality_min is not None
            and self.quality_max is not None
            and self.quality_min > self.quality_max
        ):
            raise ValueError("quality_min must not be above quality_max")
        return self


@dataclass(frozen=True)
class CallPage:
    rows: list[dict]
    total: int  # calls matching the filters, on every page
    page: int
    per_page: int
    pages: int  # at least 1, so "page 1 of 1" reads right when nothing matches


def _from(tenant_id: str, joins: str) -> tuple[str, list[Any]]:
    """FROM the tenant's calls with the named joins ("atr": all), then WHERE its tenant."""
    used = [JOINS[j] for j in "atr" if j in joins]
    sql = "FROM raw.call_records c " + " ".join(used) + " WHERE c.tenant_id = ?"
    return sql, [tenant_id] * (len(used) + 1)


def _filters(tenant_id: str, f: CallFilters) -> tuple[str, list[Any], str]:
    """The filters' conditions (each starting AND), their parameters, the joins they need."""
    sql, params, joins = "", [], ""
    if f.day_from:
        sql, params = sql + " AND c.partition_date >= ?", [*params, f.day_from]
    if f.day_to:
        sql, params = sql + " AND c.partition_date <= ?", [*params, f.day_to]
    for name, (column, join) in EQUALS.items():
        value = getattr(f, name)
        if value is not None:
            sql, params, joins = sql + f" AND {column} = ?", [*params, value], joins + join
    for bound, op in (("quality_min", ">="), ("quality_max", "<=")):
        if getattr(f, bound) is not None:
            sql, params = sql + f" AND a.quality_score {op} ?", [*params, getattr(f, bound)]
            joins += "a"
    if f.text:
        # transcript words are left to search (LanceDB BM25): an ILIKE over every turn of 100k
        # calls does not fit the list's latency budget
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", f.text) + "%"
        likes = " OR ".join(
            f"{col} ILIKE ? ESCAPE '\\'" for col in ("c.agent_name", "c.phone_e164", "c.call_id")
        )
        # the summary through a semi-join on the few matching analyses (call ids are unique
        # within a tenant): no join of every analysis just to filter
        summary = (
            "c.call_id IN (SELECT s.call_id FROM core.call_analyses s "
            "WHERE s.tenant_id = ? AND s.summary ILIKE ? ESCAPE '\\')"
        )
        sql += f" AND ({likes} OR {summary})"
        params = [*params, pattern, pattern, pattern, tenant_id, pattern]
    return sql, params, joins


def _order(f: CallFilters) -> str:
    direction = "ASC" if f.order == "asc" else "DESC"
    return f"ORDER BY {ORDER_BY[f.sort][0]} {direction} NULLS LAST, c.call_id {direction}"


def _page_sql(tenant_id: str, f: CallFilters, limit: int, offset: int) -> tuple[str, list]:
    """The page's keys are chosen with only the joins the filters and sort need, then those
    few rows get every column."""
    where, params, joins = _filters(tenant_id, f)
    keys_from, keys_params = _from(tenant_id, joins + ORDER_BY[f.sort][1])
    rows_from, rows_params = _from(tenant_id, "atr")
    keys = (
        f"SELECT c.partition_date AS k_day, c.call_id AS k_id {keys_from}{where} {_order(f)} "
        "LIMIT ? OFFSET ?"
    )
    sql = (
        f"SELECT {COLUMNS} {rows_from} AND EXISTS (SELECT 1 FROM ({keys}) k "
        f"WHERE k.k_day = c.partition_date AND k.k_id = c.call_id) {_order(f)}"
    )
    return sql, [*rows_params, *keys_params, *params, limit, offset]


def list_calls(reader: Reader, tenant_id: str, filters: CallFilters) -> CallPage:
    """One page of the tenant's calls; a page past the last is empty, with the right total."""
    where, params, joins = _filters(tenant_id, filters)
    count_from, count_params = _from(tenant_id, joins)
    total = int(
        reader.rows(f"SELECT count(*) AS n {count_from}{where}", count_params + params)[0]["n"]
    )
    offset = (filters.page - 1) * filters.per_page
    rows = []
    if offset < total:
        rows = reader.rows(*_page_sql(tenant_id, filters, filters.per_page, offset))
    for row in rows:
        row["has_recording"] = bool(row["has_recording"])
    pages = max(1, -(-total // filters.per_page))
    return CallPage(rows, total, filters.page, filters.per_page, pages)


def calls_csv(reader: Reader, tenant_id: str, filters: CallFilters) -> Iterator[str]:
    """Every matching call (paging ignored) as CSV, the header first; read and yielded in batches
    (one chunk per batch: a streaming response pays a thread hop per chunk, so one per line made
    a 8k-row export take seconds)."""
    yield _lines([CSV_COLUMNS])
    offset = 0
    while True:
        batch = reader.rows(*_page_sql(tenant_id, filters, CSV_BATCH, offset))
        for row in batch:
            row["has_recording"] = bool(row["has_recording"])
        yield _lines([[_cell(row[c]) for c in CSV_COLUMNS] for row in batch])
        if len(batch) < CSV_BATCH:
            return
        offset += CSV_BATCH


_NUMBER = re.compile(r"[+-]?[\d.]+")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A spreadsheet runs a cell starting with = + - @ as a formula: such text gets a leading
    apostrophe (numbers and E.164 phones stay as they are)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _lines(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


FACETS = {  # facet -> where its values are (one table each: no join, one column scan)
    "agents": ("raw.call_records", "agent_name"),
    "statuses": ("raw.call_records", "call_status"),
    "sentiments": ("core.call_analyses", "sentiment_label"),
    "contact_tags": ("core.call_analyses", "contact_tag"),
    "languages": ("core.call_transcripts", "language"),
    "stages": ("core.call_analyses", "qualification_stage"),
}


def facets(reader: Reader, tenant_id: str) -> dict:
    """The values the filters offer (each sorted), and the first and last day with calls.
    Languages: the transcripts' and the records' (the filter takes the transcript's first)."""
    sources = [*FACETS.items(), ("languages", ("raw.call_records", "language"))]
    union = " UNION ".join(
        f"SELECT DISTINCT '{name}' AS facet, {column} AS value FROM {table} WHERE tenant_id = ?"
        for name, (table, column) in sources
    )
    out: dict[str, Any] = {name: [] for name in FACETS}
    for row in reader.rows(union, [tenant_id] * len(sources)):
        if row["value"] is not None and row["value"] != "":
            out[row["facet"]].append(row["value"])
    span = reader.rows(
        "SELECT min(partition_date) AS first_day, max(partition_date) AS last_day "
        "FROM raw.call_records WHERE tenant_id = ?",
        [tenant_id],
    )[0]
    out = {name: sorted(values, key=str.lower) for name, values in out.items()}
    return out | {"first_day": span["first_day"], "last_day": span["last_day"]}
