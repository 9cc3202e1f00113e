"""Bolna has no customer-record write API in its contract (only agents and executions), so its
write-back writer writes nothing and says why: stages/writeback.py sees `can_write` False and
records the call as "no_crm_api"."""

from callintel_dagster.lib.crm_notes import CallNote
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import BolnaConfig


class BolnaNoWriter:
    provider = "bolna"
    requests = 0
    can_write = False
    reason = (
        "Bolna has no customer-record API to write to (only agents and executions); "
        "tag and summary stay in callintel (marts.fct_calls)"
    )

    def write_call_note(self, lead_id: str, note: CallNote, *, check_existing: bool = False) -> str:
        # never called: stages/writeback.py checks `can_write` and records no_crm_api instead
        raise RuntimeError(f"bolna: cannot write back: {self.reason}")

    def close(self) -> None:
        pass


def writer_for(tenant: Tenant, config: BolnaConfig) -> BolnaNoWriter:
    """The registry's factory."""
    return BolnaNoWriter()
