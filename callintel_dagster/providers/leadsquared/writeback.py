"""LeadSquared custom activities on leads: one activity per analysed call (write-back).

Reuses LeadSquaredSource's region discovery, per-tenant rate limiter and its handling of throttling
(HTTP 429 or HTTP 200 + MXAPIRateLimitExceededException, both retried) and of errors reported as
HTTP 200 with Status "Error".
- `POST /v2/ProspectActivity.svc/Create` `{"RelatedProspectId", "ActivityEvent", "ActivityNote",
  "ActivityDateTime": "YYYY-MM-DD HH:MM:SS", "Fields": [{"SchemaName", "Value"}]}` →
  `{"Status": "Success", "Message": {"Id": "..."}}`; an unknown lead →
  `{"Status": "Error", "ExceptionType": "MXInvalidEntityException", ...}`.
- `POST /v2/ProspectActivity.svc/Retrieve?leadId=...` `{"Parameter": {"ActivityEvent"}, "Paging":
  {"Offset", "RowCount"}}` → `{"RecordCount", "ProspectActivities": [...]}`: a retried write looks
  there for its reference line first (the activity's shape is not pinned down: the whole record
  is searched).
"""

import json

from callintel_dagster.lib.crm_notes import LSQ_NOTE_MAX, CallNote, label, note_content
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import LeadSquaredConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.leadsquared.mapping import format_lsq_date
from callintel_dagster.providers.leadsquared.source import LeadSquaredSource, keys

CREATE_PATH = "/v2/ProspectActivity.svc/Create"
RETRIEVE_PATH = "/v2/ProspectActivity.svc/Retrieve"
RETRIEVE_ROWS = 100  # activities of this type on one lead: a handful per call made to it


class LeadSquaredWriter(LeadSquaredSource):
    can_write, reason = True, None

    def write_call_note(self, lead_id: str, note: CallNote, *, check_existing: bool = False) -> str:
        """The id of the activity on the lead for this call (an existing one when
        `check_existing` finds it); raises ProviderError otherwise."""
        if self.config.activity_event is None:
            raise PermanentProviderError(
                self.tenant_id, self.provider, "crm.activity_event is not set (tenants.yaml)"
            )
        if check_existing and (found := self.find_activity(lead_id, note.reference)):
            return found
        fields = [
            {"SchemaName": name, "Value": label(value)}
            for name, value in (
                (self.config.tag_field, note.contact_tag),
                (self.config.status_field, note.lead_status),
            )
            if name
        ]
        body = {
            "RelatedProspectId": lead_id,
            "ActivityEvent": self.config.activity_event,
            "ActivityNote": note_content(note, LSQ_NOTE_MAX),
            "ActivityDateTime": format_lsq_date(note.started_at_utc, self.config.date_timezone),
            "Fields": fields,
        }
        try:
            answer = self._call(self._region_api(), "POST", CREATE_PATH, json=body)
        except PermanentProviderError as exc:
            if "MXInvalidEntityException" in str(exc):
                raise self._unknown(lead_id) from None
            raise
        activity_id = ((answer or {}).get("Message") or {}).get("Id")
        if not activity_id:
            raise PermanentProviderError(
                self.tenant_id, self.provider, f"{CREATE_PATH}: no activity id in {answer!r:.200}"
            )
        return str(activity_id)

    def find_activity(self, lead_id: str, reference: str) -> str | None:
        """The id of the lead's activity (of the configured type) carrying `reference`."""
        answer = self._call(
            self._region_api(),
            "POST",
            RETRIEVE_PATH,
            params={"leadId": lead_id},
            json={
                "Parameter": {"ActivityEvent": self.config.activity_event},
                "Paging": {"Offset": 0, "RowCount": RETRIEVE_ROWS},
            },
        )
        for activity in (answer or {}).get("ProspectActivities") or []:
            if isinstance(activity, dict) and reference in json.dumps(activity):
                return str(activity.get("Id") or activity.get("ID") or activity.get("ActivityId"))
        return None

    def _unknown(self, lead_id: str) -> PermanentProviderError:
        return PermanentProviderError(
            self.tenant_id,
            self.provider,
            f"lead {lead_id} not found in LeadSquared (MXInvalidEntityException): deleted or "
            "merged since the last sync?",
        )


def writer_for(tenant: Tenant, config: LeadSquaredConfig) -> LeadSquaredWriter:
    """The registry's factory: activities on leads in the tenant's LeadSquared account."""
    return LeadSquaredWriter(
        tenant.id, config, *keys(tenant.id, config), discovery_url=config.discovery_url
    )
