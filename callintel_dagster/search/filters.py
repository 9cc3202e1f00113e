"""Search filters: applied inside the LanceDB query (a prefilter `where`), never after it.

Every value is escaped as a SQL string literal (search/index.py `quote`), so a filter value can
never change the query's shape. Facets compare case-insensitively without a function on the
column, so each filter reads its column's scalar index: labels are stored lower case, agents
through `agent_key`, language codes in BCP 47 casing.
"""

from dataclasses import dataclass, fields
from datetime import date

from callintel_dagster.search.index import quote


@dataclass(frozen=True)
class Filters:
    day_from: date | None = None  # the call's local day, inclusive
    day_to: date | None = None  # inclusive
    agent: str | None = None  # agent name, case-insensitive
    sentiment: str | None = None  # positive | neutral | negative
    tag: str | None = None  # contact tag: purchased | interested | follow_up | not_interested
    objection: str | None = None  # one objection type the call raised, e.g. price
    language: str | None = None  # en | hi | hi-Latn | ...

    def __post_init__(self):
        if self.day_from and self.day_to and self.day_from > self.day_to:
            raise ValueError(f"day_from {self.day_from} is after day_to {self.day_to}")

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, "") for f in fields(self))


def where_clause(tenant_id: str, filters: Filters | None) -> str:
    """The `where` for the tenant's table. The tenant id is part of it even though each tenant
    has a table of its own: a row of another tenant could never match."""
    f = filters or Filters()
    parts = [f"tenant_id = {quote(tenant_id)}"]
    if f.day_from:
        parts.append(f"partition_date >= {quote(f.day_from.isoformat())}")
    if f.day_to:
        parts.append(f"partition_date <= {quote(f.day_to.isoformat())}")
    if f.agent:
        parts.append(f"agent_key = {quote(f.agent.strip().lower())}")
    if f.sentiment:
        parts.append(f"sentiment = {quote(f.sentiment.strip().lower())}")
    if f.tag:
        parts.append(f"contact_tag = {quote(f.tag.strip().lower())}")
    if f.objection:
        parts.append(f"array_has(objections, {quote(f.objection.strip().lower())})")
    if f.language:
        parts.append(f"language = {quote(canonical_language(f.language))}")
    return " AND ".join(parts)


def canonical_language(tag: str) -> str:
    """BCP 47 casing, as the stored codes are written: "HI-latn" -> "hi-Latn", "en-us" -> "en-US"
    (so the filter compares the column as stored, through its index)."""
    parts = tag.strip().split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part)
    return "-".join(out)
