"""One pass of the alert loop, shared by both sensors: record what is wrong now, then tell the
operator about every incident whose state or reason they have not heard yet.

A notice goes to each of the incident's channels once; the incident counts as told when all of
them took it. A channel that fails is tried again on the next tick (the ones that took it are
remembered in `sent_to` and skipped), so an outage delays an alert but never repeats it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from callintel_dagster.alerts.channels import AlertDeliveryError, Outbox, routes_for, send
from callintel_dagster.alerts.incidents import Finding, Incident, IncidentKey, notified, observe
from callintel_dagster.alerts.messages import Notice
from callintel_dagster.alerts.store import load_incidents, save_incidents
from callintel_dagster.lib.tenants.registry import Registry
from callintel_dagster.providers.base import ProviderError
from callintel_dagster.resources.warehouse import Warehouse


@dataclass
class Outcome:
    changed: int = 0  # incidents opened, changed or resolved
    sent: list[str] = field(default_factory=list)  # "<event> <rule> <tenant>" per notice
    errors: list[str] = field(default_factory=list)  # channel failures (ids, never URLs)

    def summary(self) -> str:
        text = f"{self.changed} incident change(s), {len(self.sent)} notice(s) sent"
        return text + (f", {len(self.errors)} channel error(s)" if self.errors else "")


def run_pass(
    warehouse: Warehouse,
    registry: Registry,
    outbox: Outbox,
    now: datetime,
    findings: list[Finding],
    cleared: dict[str, str] | None = None,
    resolutions: list[Incident] | None = None,
) -> Outcome:
    """`findings`: what is wrong now; `cleared`: rule -> why, for rules whose findings are
    complete (their open incidents not found again resolve); `resolutions`: incidents resolved
    by other evidence (a later successful run)."""
    existing = load_incidents(warehouse)
    changes: list[Incident] = []
    for rule, why in (cleared or {}).items():
        changes += observe(existing, [f for f in findings if f.rule == rule], now, {rule}, why)
    other = [f for f in findings if f.rule not in (cleared or {})]
    changes += observe(existing, other, now) + list(resolutions or ())
    current = existing | {i.key: i for i in changes}
    outcome = Outcome(changed=len(changes))
    told = deliver(current, registry, outbox, now, outcome)
    # one write: what changed, as told (a crash before it sends the same notices again next tick)
    save_incidents(
        warehouse, list(({i.key: i for i in changes} | {i.key: i for i in told}).values())
    )
    return outcome


def deliver(
    incidents: dict[IncidentKey, Incident],
    registry: Registry,
    outbox: Outbox,
    now: datetime,
    outcome: Outcome,
) -> list[Incident]:
    """Send every due notice; returns the incidents whose notified state moved."""
    updated = []
    for incident in incidents.values():
        event = incident.due
        if event is None:
            continue
        notice = Notice(event, incident)
        routes = routes_for(registry, incident.tenant_id)
        state, failed = incident, False
        for route in routes:
            if route.id in state.channels_done:
                continue
            try:
                send(route, notice, outbox, now)
            except (AlertDeliveryError, ProviderError, OSError) as exc:
                failed = True
                # an OSError's text holds the outbox path, which names the recipient
                why = f"{route.id}: outbox: {exc.strerror}" if isinstance(exc, OSError) else exc
                outcome.errors.append(f"{incident.rule} {incident.tenant_id}: {why}")
                continue
            state = notified(state, route.id, now, complete=False)
        if not failed:  # with no channel configured the incident is only recorded
            state = notified(state, None, now, complete=True)
            if routes:
                outcome.sent.append(f"{event} {incident.rule} {incident.tenant_id}")
        if state != incident:
            updated.append(state)
    return updated
