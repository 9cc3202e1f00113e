"""The periodic checks, each a pure function of warehouse facts and the clock.

Every check returns the complete list of what is wrong now for its rule (for every active tenant),
so an open incident of that rule that is not found again is resolved. Reasons carry counts, days
and codes, never a recipient's number, a message or a transcript.
"""

from datetime import date, datetime, timedelta

from callintel_dagster.alerts.incidents import Finding
from callintel_dagster.lib.dayspan import local_today, send_instant
from callintel_dagster.lib.tenants.alerts_config import AlertThresholds
from callintel_dagster.lib.tenants.registry import Registry, Tenant

SYNC_STALE = "sync_stale"
DIGEST_LATE = "digest_late"
ANALYSIS_FAILURE_RATE = "analysis_failure_rate"
KEY_REJECTED_DELIVERY = "key_rejected_delivery"

SYNCED_SOURCES = ("call_records", "crm_leads")  # every tenant syncs both (raw.sync_log.source)
CHECKED_DAYS = 3  # tenant-local days the day-based rules look back
# digest statuses that count as delivered (an outbox file is the outbox provider's delivery)
DELIVERED = ("outboxed", "sent", "delivered", "read")
TWILIO_AUTH_CODES = (20003,)  # Twilio's "Authenticate" error: the account SID or token is refused

# Why an open incident of each rule no longer holds when a tick does not find it again.
CLEARED = {
    SYNC_STALE: "synced again",
    DIGEST_LATE: f"delivered (or older than the {CHECKED_DAYS} days checked)",
    ANALYSIS_FAILURE_RATE: f"under the threshold (or older than the {CHECKED_DAYS} days checked)",
    KEY_REJECTED_DELIVERY: "no refused key in the latest deliveries",
}


def thresholds_for(registry: Registry, tenant: Tenant) -> AlertThresholds:
    """The deployment's thresholds, with those the tenant's own `alerts:` block sets."""
    base = registry.alerts.thresholds
    if tenant.alerts is None:
        return base
    own = tenant.alerts.thresholds
    return base.model_copy(update={name: getattr(own, name) for name in own.model_fields_set})


def sync_stale(
    registry: Registry, last_sync: dict[tuple[str, str], datetime], now: datetime
) -> list[Finding]:
    """Active tenants with a source (calls, CRM leads) that has had no successful sync (a
    raw.sync_log row) for too long. `last_sync`: (tenant, source) -> when; naive UTC, as `now`."""
    out = []
    for tenant in registry.active:
        limit = thresholds_for(registry, tenant).sync_stale_minutes
        for source in SYNCED_SOURCES:
            last = last_sync.get((tenant.id, source))
            if last is None:
                reason = f"never synced (threshold {limit} min)"
            elif now - last > timedelta(minutes=limit):
                reason = (
                    f"no successful sync since {last:%Y-%m-%d %H:%M} UTC (threshold {limit} min)"
                )
            else:
                continue
            out.append(Finding(SYNC_STALE, tenant.id, source, "", reason))
    return out


def digest_day_due(tenant: Tenant, grace_minutes: int, now: datetime) -> tuple[date, datetime]:
    """The latest tenant-local day whose digest is overdue if not out by now, and that deadline
    (naive UTC): a day's digest goes out at the send time of the next local day."""
    today = local_today(tenant.timezone, now)
    for day in (today - timedelta(days=1), today - timedelta(days=2)):
        send = send_instant(tenant.digest.send_time, tenant.timezone, day + timedelta(days=1))
        deadline = (send + timedelta(minutes=grace_minutes)).replace(tzinfo=None)
        if now >= deadline:
            return day, deadline
    raise AssertionError("the day before yesterday's digest is always due")


def digest_late(
    registry: Registry, delivered: dict[tuple[str, date], int], now: datetime
) -> list[Finding]:
    """Tenants with recipients whose latest due digest did not reach every recipient by its send
    time + grace. `delivered`: (tenant, day) -> recipients with a delivered digest."""
    out = []
    for tenant in registry.active:
        wanted = len(tenant.digest.recipients)
        if not wanted:
            continue
        grace = thresholds_for(registry, tenant).digest_grace_minutes
        day, _ = digest_day_due(tenant, grace, now)
        got = delivered.get((tenant.id, day), 0)
        if got < wanted:
            send = f"{tenant.digest.send_time:%H:%M} {tenant.timezone}"
            reason = f"delivered to {got} of {wanted} recipient(s) by {send} + {grace} min"
            key = f"{day.isoformat()}|{tenant.id}"
            out.append(Finding(DIGEST_LATE, tenant.id, "whatsapp_digest", key, reason))
    return out


def analysis_failure_rate(
    registry: Registry, counts: dict[tuple[str, date], tuple[int, int]]
) -> list[Finding]:
    """Tenant-days whose share of failed analyses (of ok + failed) is above the threshold.
    `counts`: (tenant, day) -> (failed, decided). The reason names the rate in 10% steps, so a
    growing day re-alerts when the rate moves a step, not on every call."""
    tenants = {t.id: t for t in registry.active}
    out = []
    for (tenant_id, day), (failed, decided) in sorted(counts.items()):
        tenant = tenants.get(tenant_id)
        if tenant is None:
            continue
        limits = thresholds_for(registry, tenant)
        if decided < limits.analysis_min_calls or failed / decided <= limits.analysis_failure_rate:
            continue
        step = int(failed / decided * 10) * 10
        reason = (
            f"{step}%+ of analyses failed (threshold {limits.analysis_failure_rate:.0%}, "
            f"at least {limits.analysis_min_calls} calls)"
        )
        key = f"{day.isoformat()}|{tenant_id}"
        out.append(Finding(ANALYSIS_FAILURE_RATE, tenant_id, "call_analyses", key, reason))
    return out


def key_rejected_delivery(
    registry: Registry, refused: list[tuple[str, date, str, str]]
) -> list[Finding]:
    """Deliveries a provider refused for the key, as recorded (the digest ledger's Twilio code,
    a CRM write-back's HTTP status). `refused`: (tenant, day, asset, code) rows."""
    active = {t.id for t in registry.active}
    found = {
        (tenant_id, day, asset, code)
        for tenant_id, day, asset, code in refused
        if tenant_id in active
    }
    return [
        Finding(
            KEY_REJECTED_DELIVERY,
            tenant_id,
            asset,
            f"{day.isoformat()}|{tenant_id}",
            f"provider refused the tenant's key ({code}); fix the credentials, then re-run",
        )
        for tenant_id, day, asset, code in sorted(found)
    ]


def window_start(now: datetime) -> date:
    """The first day the day-based rules read (tenant-local days lag or lead UTC by < 1 day)."""
    return (now - timedelta(days=CHECKED_DAYS)).date()
