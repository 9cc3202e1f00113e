"""Incidents in the warehouse (delivery.alert_incidents): read them all, upsert the changed ones.

The table is small (one row per incident ever seen, resolved ones included), so a tick reads it
whole. Writes are upserts by the incident key: a sensor writes only the rows it changed.
"""

from dataclasses import asdict, fields

import pandas as pd

from callintel_dagster.alerts.incidents import Incident, IncidentKey
from callintel_dagster.lib.tables import ALERT_INCIDENTS
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse

KEY_COLUMNS = ("rule", "tenant_id", "asset", "partition_key")
_FIELDS = [f.name for f in fields(Incident)]


def load_incidents(warehouse: Warehouse, timeout_s: float = 15) -> dict[IncidentKey, Incident]:
    frame = warehouse.query(
        f"SELECT {', '.join(_FIELDS)} FROM {ALERT_INCIDENTS.qualified}", timeout_s=timeout_s
    )
    incidents = [Incident(**_plain(row)) for row in frame.to_dict("records")]
    return {i.key: i for i in incidents}


def save_incidents(warehouse: Warehouse, incidents: list[Incident]) -> None:
    if not incidents:
        return
    frame = pd.DataFrame([asdict(i) for i in incidents], columns=_FIELDS)
    warehouse.write([RowUpsert(ALERT_INCIDENTS, KEY_COLUMNS, frame)])


def _plain(row: dict) -> dict:
    """Warehouse values as the dataclass takes them: NULLs as None, timestamps as datetimes."""
    out = {}
    for name, value in row.items():
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            out[name] = None
        elif isinstance(value, pd.Timestamp):
            out[name] = value.to_pydatetime()
        else:
            out[name] = value
    out["notices"] = int(out["notices"] or 0)
    return out
