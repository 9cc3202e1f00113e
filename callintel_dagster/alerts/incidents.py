"""The once-per-incident state machine, as pure functions over incident rows.

An incident is keyed by (rule, tenant, asset, partition). Its `state` (open | resolved) and
`reason` say what is wrong now; `notified_state` / `notified_reason` say what the operator was
last told. A notice is due exactly when the two differ: on open, on a change of reason, on resolve
(and on a reopen). A repeat tick with the same facts changes nothing, so it sends nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

OPEN, RESOLVED = "open", "resolved"
OPENED, CHANGED = "opened", "changed"  # notice events, beside RESOLVED

IncidentKey = tuple[str, str, str, str]  # rule, tenant_id, asset, partition_key


@dataclass(frozen=True)
class Finding:
    """Something wrong now. `reason` is built from ids and codes only, never free text."""

    rule: str
    tenant_id: str
    asset: str
    partition_key: str
    reason: str
    run_id: str | None = None
    job_name: str | None = None

    @property
    def key(self) -> IncidentKey:
        return (self.rule, self.tenant_id, self.asset, self.partition_key)


@dataclass(frozen=True)
class Incident:
    rule: str
    tenant_id: str
    asset: str
    partition_key: str
    state: str
    reason: str
    opened_at_utc: datetime
    updated_at_utc: datetime
    run_id: str | None = None
    job_name: str | None = None
    resolved_at_utc: datetime | None = None
    notified_state: str | None = None
    notified_reason: str | None = None
    notices: int = 0
    notified_at_utc: datetime | None = None
    sent_to: str | None = None  # channels that already have the pending notice (comma-separated)

    @property
    def key(self) -> IncidentKey:
        return (self.rule, self.tenant_id, self.asset, self.partition_key)

    @property
    def due(self) -> str | None:
        """The notice owed to the operator: opened, changed, resolved, or None."""
        if self.state == OPEN:
            if self.notified_state != OPEN:
                return OPENED
            return CHANGED if self.notified_reason != self.reason else None
        # resolved: owed only if the operator was told it is open
        return RESOLVED if self.notified_state == OPEN else None

    @property
    def channels_done(self) -> set[str]:
        return set(filter(None, (self.sent_to or "").split(",")))


def observe(
    existing: dict[IncidentKey, Incident],
    findings: Iterable[Finding],
    now: datetime,
    resolve_rules: frozenset[str] = frozenset(),
    resolved_reason: str = "condition cleared",
) -> list[Incident]:
    """The incidents that change given what is wrong now. `resolve_rules`: rules whose findings
    are complete (every check of the rule ran), so an open incident of theirs that was not found
    again is resolved; other rules' incidents are only opened or changed here."""
    changed: dict[IncidentKey, Incident] = {}
    found: set[IncidentKey] = set()
    for f in findings:
        found.add(f.key)
        old = changed.get(f.key) or existing.get(f.key)
        if old is None:
            changed[f.key] = Incident(
                *f.key, OPEN, f.reason, now, now, run_id=f.run_id, job_name=f.job_name
            )
        elif old.state == RESOLVED:  # back again: a new incident under the same key
            changed[f.key] = replace(
                old,
                state=OPEN,
                reason=f.reason,
                opened_at_utc=now,
                updated_at_utc=now,
                resolved_at_utc=None,
                run_id=f.run_id,
                job_name=f.job_name,
                sent_to=None,
            )
        elif old.reason != f.reason or (f.run_id and f.run_id != old.run_id):
            changed[f.key] = replace(
                old,
                reason=f.reason,
                updated_at_utc=now,
                run_id=f.run_id or old.run_id,
                sent_to=None,  # a new notice is pending: every channel gets it
            )
    for key, old in existing.items():
        if old.state == OPEN and old.rule in resolve_rules and key not in found:
            changed[key] = resolve(old, now, resolved_reason)
    return list(changed.values())


def resolve(incident: Incident, now: datetime, reason: str) -> Incident:
    """The incident resolved: its reason now says why it no longer holds."""
    return replace(
        incident,
        state=RESOLVED,
        reason=reason,
        updated_at_utc=now,
        resolved_at_utc=now,
        sent_to=None,
    )


def notified(incident: Incident, channel: str | None, now: datetime, complete: bool) -> Incident:
    """After a send: `complete` when every channel has the notice (the operator is told);
    otherwise remember the channel that has it, so a retry next tick skips it."""
    if complete:
        return replace(
            incident,
            notified_state=incident.state,
            notified_reason=incident.reason,
            notices=incident.notices + 1,
            notified_at_utc=now,
            sent_to=None,
        )
    done = incident.channels_done | ({channel} if channel else set())
    return replace(incident, sent_to=",".join(sorted(done)))
