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

# one row per call: the record, its analysis, transcript language and archived recording, all
# joined on this tenant only (the tenant parameter repeats in every join)
FROM_CALLS = """
FROM raw.call_records c
LEFT JOIN core.call_analyses a
  ON a.tenant_id = ? AND a.partition_date = c.partition_date AND a.call_id = c.call_id
LEFT JOIN core.call_transcripts t
  ON t.tenant_id = ? AND t.partition_date = c.partition_date AND t.call_id = c.call_id
LEFT JOIN raw.call_recordings r
  ON r.tenant_id = ? AND r.partition_date = c.partition_date AND r.call_id = c.call_id
WHERE c.tenant_id = ?"""
LANGUAGE = "COALESCE(t.language, c.language)"  # detected from the words when transcribed
COLUMNS = f"""
  c.call_id, c.partition_date AS day, c.started_at_utc, c.agent_name, c.direction, c.phone_e164,
  c.duration_seconds, c.call_status, {LANGUAGE} AS language, a.sentiment_label, a.quality_score,
  a.contact_tag, a.qualification_stage, a.lead_score, a.summary,
  (r.recording_status = 'archived') AS has_recording"""
ORDER_BY = {
    "started": "c.started_at_utc",
    "duration": "c.duration_seconds",
    "quality": "a.quality_score",
    "lead_score": "a.lead_score",
    "agent": "c.agent_name",
}
EQUALS = {  # filter field -> column
    "agent": "c.agent_name",
    "status": "c.call_status",
    "sentiment": "a.sentiment_label",
    "contact_tag": "a.contact_tag",
    "language": LANGUAGE,
    "stage": "a.qualification_stage",
}
CSV_COLUMNS = [
    "call_id",
    "day",
    "started_at_utc",
    "agent_name",
    "direction",
    "phone_e164",
    "duration_seconds",
    "call_status",
    "language",
    "sentiment_label",
    "quality_score",
    "contact_tag",
    "qualification_stage",
    "lead_score",
    "summary",
    "has_recording",
]


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


def _where(tenant_id: str, f: CallFilters) -> tuple[str, list[Any]]:
    """The FROM ... WHERE of the matching calls, and its parameters."""
    sql, params = FROM_CALLS, [tenant_id] * 4
    if f.day_from:
        sql, params = sql + " AND c.partition_date >= ?", [*params, f.day_from]
    if f.day_to:
        sql, params = sql + " AND c.partition_date <= ?", [*params, f.day_to]
    for name, column in EQUALS.items():
        value = getattr(f, name)
        if value is not None:
            sql, params = sql + f" AND {column} = ?", [*params, value]
    if f.quality_min is not None:
        sql, params = sql + " AND a.quality_score >= ?", [*params, f.quality_min]
    if f.quality_max is not None:
        sql, params = sql + " AND a.quality_score <= ?", [*params, f.quality_max]
    if f.text:
        # transcript words are left to search (LanceDB BM25): an ILIKE over every turn of 100k
        # calls does not fit the list's latency budget
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", f.text) + "%"
        likes = " OR ".join(
            f"{col} ILIKE ? ESCAPE '\\'"
            for col in ("a.summary", "c.agent_name", "c.phone_e164", "c.call_id")
        )
        sql, params = sql + f" AND ({likes})", [*params, *[pattern] * 4]
    return sql, params


def _order(f: CallFilters) -> str:
    direction = "ASC" if f.order == "asc" else "DESC"
    return f"ORDER BY {ORDER_BY[f.sort]} {direction} NULLS LAST, c.call_id {direction}"


def list_calls(reader: Reader, tenant_id: str, filters: CallFilters) -> CallPage:
    """One page of the tenant's calls; a page past the last is empty, with the right total."""
    where, params = _where(tenant_id, filters)
    total = int(reader.rows(f"SELECT count(*) AS n {where}", params)[0]["n"])
    offset = (filters.page - 1) * filters.per_page
    rows = []
    if offset < total:
        rows = reader.rows(
            f"SELECT {COLUMNS} {where} {_order(filters)} LIMIT ? OFFSET ?",
            [*params, filters.per_page, offset],
        )
    for row in rows:
        row["has_recording"] = bool(row["has_recording"])
    pages = max(1, -(-total // filters.per_page))
    return CallPage(rows, total, filters.page, filters.per_page, pages)


def calls_csv(reader: Reader, tenant_id: str, filters: CallFilters) -> Iterator[str]:
    """Every matching call (paging ignored) as CSV lines, the header first; read in batches."""
    where, params = _where(tenant_id, filters)
    yield _line(CSV_COLUMNS)
    offset = 0
    while True:
        batch = reader.rows(
            f"SELECT {COLUMNS} {where} {_order(filters)} LIMIT ? OFFSET ?",
            [*params, CSV_BATCH, offset],
        )
        for row in batch:
            row["has_recording"] = bool(row["has_recording"])
            yield _line([_cell(row[c]) for c in CSV_COLUMNS])
        if len(batch) < CSV_BATCH:
            return
        offset += CSV_BATCH


_NUMBER = re.compile(r"[+-]?[\d.]+")


def _cell(value: Any) -> Any:
    """A spreadsheet runs a cell starting with = + - @ as a formula: such text gets a leading
    apostrophe (numbers and E.164 phones stay as they are)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        if not _NUMBER.fullmatch(value):
            return "'" + value
    return value


def _line(values: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(values)
    return buf.getvalue()


FACETS = {  # facet -> the expression whose distinct values it lists
    "agents": "c.agent_name",
    "statuses": "c.call_status",
    "sentiments": "a.sentiment_label",
    "contact_tags": "a.contact_tag",
    "languages": LANGUAGE,
    "stages": "a.qualification_stage",
}


def facets(reader: Reader, tenant_id: str) -> dict:
    """The values the filters offer (each sorted), and the first and last day with calls."""
    union = " UNION ALL ".join(
        f"SELECT DISTINCT '{name}' AS facet, CAST({expr} AS VARCHAR) AS value {FROM_CALLS}"
        for name, expr in FACETS.items()
    )
    out: dict[str, Any] = {name: [] for name in FACETS}
    for row in reader.rows(union, [tenant_id] * 4 * len(FACETS)):
        if row["value"] is not None and row["value"] != "":
            out[row["facet"]].append(row["value"])
    for values in out.values():
        values.sort(key=str.lower)
    span = reader.rows(
        "SELECT min(partition_date) AS first_day, max(partition_date) AS last_day "
        "FROM raw.call_records WHERE tenant_id = ?",
        [tenant_id],
    )[0]
    return out | {"first_day": span["first_day"], "last_day": span["last_day"]}
