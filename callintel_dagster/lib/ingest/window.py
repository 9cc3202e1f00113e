"""What one sync asks a source for: a tenant-local day, and optionally only what changed.

`since_utc` None means the whole day (a backfill or a re-run refetches it in full); otherwise the
source returns records created or modified at or after it (the 5-minute sync). Timestamps are
naive UTC, the warehouse's convention.
"""

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class SyncWindow:
    tenant_id: str
    day: date
    start_utc: datetime  # the local day's start, inclusive
    end_utc: datetime  # the local day's end, exclusive
    now_utc: datetime
    since_utc: datetime | None = None

    @property
    def incremental(self) -> bool:
        return self.since_utc is not None
