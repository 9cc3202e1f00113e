"""Zoho CRM v8 notes on leads: one note per analysed call (write-back).

Reuses ZohoSource's OAuth token cache, api_domain and INVALID_TOKEN refresh-and-retry; only the
requests differ:
- `POST /crm/v8/Leads/{lead_id}/Notes` `{"data": [{"Note_Title", "Note_Content"}]}` → 201
  `{"data": [{"code": "SUCCESS", "details": {"id", ...}, "status": "success"}]}`. A per-record
  error (`INVALID_DATA` for an unknown lead) may come as HTTP 400 or inside a 2xx answer: both
  raise PermanentProviderError naming the lead.
- `GET /crm/v8/Leads/{lead_id}/Notes?fields=...` lists the lead's notes; a retried write looks
  there for its reference line first, so an interrupted write is never posted twice.
Needs the refresh token to carry the ZohoCRM.modules.notes.CREATE (and .READ) scope.
"""

import re
from typing import Any

from callintel_dagster.lib.crm_notes import (
    ZOHO_CONTENT_MAX,
    CallNote,
    note_content,
    note_title,
)
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import ZohoConfig
from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.zoho.source import ZohoSource, credentials

NOTE_FIELDS = "Note_Title,Note_Content,Created_Time"
_RECORD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # goes into a URL path: nothing else


class ZohoWriter(ZohoSource):
    can_write, reason = True, None

    def write_call_note(self, lead_id: str, note: CallNote, *, check_existing: bool = False) -> str:
        """The id of the note on the lead for this call (an existing one when `check_existing`
        finds it); raises ProviderError otherwise."""
        path = self._notes_path(lead_id)
        if check_existing and (found := self.find_note(lead_id, note.reference)):
            return found
        body = {
            "data": [
                {
                    "Note_Title": note_title(note, self.config.note_title),
                    "Note_Content": note_content(note, ZOHO_CONTENT_MAX),
                }
            ]
        }
        try:
            answer = self._api("POST", path, json=body)
        except PermanentProviderError as exc:
            if exc.status == 400 and "INVALID_DATA" in str(exc):
                raise self._unknown(lead_id) from None
            raise
        return self._created_id(lead_id, answer)

    def find_note(self, lead_id: str, reference: str) -> str | None:
        """The id of the lead's note whose content carries `reference`, if any."""
        page = 1
        while True:
            try:
                answer = self._api(
                    "GET",
                    self._notes_path(lead_id),
                    params={"fields": NOTE_FIELDS, "page": page, "per_page": 200},
                )
            except PermanentProviderError as exc:
                if exc.status == 400 and "INVALID_DATA" in str(exc):
                    raise self._unknown(lead_id) from None
                raise
            data = (answer or {}).get("data") or []  # 204: the lead has no notes
            for item in data:
                if reference in str(item.get("Note_Content") or ""):
                    return str(item["id"])
            if not data or not ((answer or {}).get("info") or {}).get("more_records"):
                return None
            page += 1

    def _notes_path(self, lead_id: str) -> str:
        if not _RECORD_ID.match(lead_id):
            raise PermanentProviderError(
                self.tenant_id, self.provider, f"not a Zoho record id: {lead_id!r}"
            )
        return f"/crm/v8/Leads/{lead_id}/Notes"

    def _created_id(self, lead_id: str, answer: Any) -> str:
        items = (answer or {}).get("data") if isinstance(answer, dict) else None
        item = items[0] if isinstance(items, list) and items else {}
        if item.get("status") == "success" and (item.get("details") or {}).get("id"):
            return str(item["details"]["id"])
        if item.get("code") == "INVALID_DATA":
            raise self._unknown(lead_id)
        raise PermanentProviderError(
            self.tenant_id,
            self.provider,
            f"note on lead {lead_id} not created: {item.get('code')}: {item.get('message')}",
        )

    def _unknown(self, lead_id: str) -> PermanentProviderError:
        return PermanentProviderError(
            self.tenant_id,
            self.provider,
            f"lead {lead_id} not found in Zoho CRM (INVALID_DATA): deleted or merged since the "
            "last sync?",
            status=400,
        )


def writer_for(tenant: Tenant, config: ZohoConfig) -> ZohoWriter:
    """The registry's factory: notes on leads in the tenant's Zoho CRM."""
    return ZohoWriter(tenant.id, config, *credentials(tenant.id, config))
