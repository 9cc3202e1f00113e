"""Delivery status of WhatsApp digests: poll Twilio for the messages the ledger has not seen
settle (delivered, read, failed, undelivered) and record what Twilio says.

A poll, not a run: the sensor requests no runs and writes the ledger (and delivery.digests)
itself, a handful of small writes per tick. Deployments that expose Twilio's status callbacks
(callintel_dagster/cli/twilio_status.py) get the same updates sooner; the poll then finds little.
Messages older than `MAX_AGE` are left alone: Twilio has settled them long ago.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
from twilio.base.exceptions import TwilioRestException

from callintel_dagster.lib.digest.parts import SETTLED
from callintel_dagster.lib.tables import WHATSAPP_LEDGER
from callintel_dagster.lib.tenants.registry import RegistryError
from callintel_dagster.providers.whatsapp.twilio_sender import TwilioUnavailable
from callintel_dagster.resources.digests import DigestSenders, sender_class
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.digest import apply_status

MAX_AGE = timedelta(days=3)
MAX_PER_TICK = 200  # fetches per tick: one request each

UNSETTLED_SQL = f"""
SELECT tenant_id, message_sid, status FROM {WHATSAPP_LEDGER.qualified}
WHERE message_sid IS NOT NULL AND created_at_utc >= ?
  AND status NOT IN ({", ".join(f"'{s}'" for s in sorted(SETTLED))})
ORDER BY created_at_utc
LIMIT {MAX_PER_TICK}
"""


@dg.sensor(minimum_interval_seconds=120, default_status=dg.DefaultSensorStatus.RUNNING)
def digest_status_sensor(
    context: dg.SensorEvaluationContext,
    registry: TenantRegistry,
    digest_senders: DigestSenders,
    warehouse: Warehouse,
):
    since = datetime.now(UTC).replace(tzinfo=None) - MAX_AGE
    try:
        unsettled = warehouse.query(UNSETTLED_SQL, [since], timeout_s=15)
        tenants = {t.id: t for t in registry.load().tenants}
    except (TimeoutError, duckdb.IOException) as exc:  # a run holds the DuckDB file: next tick
        return dg.SkipReason(f"warehouse busy: {exc}")
    except RegistryError as exc:
        return dg.SkipReason(f"tenant registry invalid: {exc}")
    changed, errors = 0, []
    for tenant_id, group in unsettled.groupby("tenant_id"):
        tenant = tenants.get(str(tenant_id))
        if tenant is None or not sender_class(tenant).tracks_status:
            continue  # removed from the registry, or moved off Twilio: nothing to ask
        try:
            api = digest_senders.for_tenant(tenant)
            for sid, old in zip(group["message_sid"], group["status"], strict=True):
                now = api.fetch(sid)
                if now.status != old:
                    apply_status(warehouse, sid, now.status, now.error_code, now.error_message)
                    changed += 1
        except (TwilioUnavailable, TwilioRestException, ValueError) as exc:  # try next tick
            errors.append(f"{tenant_id}: {exc}")
    if errors:
        context.log.warning("digest status poll incomplete: " + "; ".join(errors))
    return dg.SkipReason(
        f"{len(unsettled)} unsettled message(s) polled, {changed} changed"
        + (f", {len(errors)} tenant(s) unreachable" if errors else "")
    )
