"""What an alert says: one short text and Slack Block Kit blocks, built from an incident's ids
and reason only (rule, tenant, asset, partition, run id, job). Never a secret, a phone number or a
transcript: none of those is ever in an incident."""

import hashlib
from dataclasses import dataclass

from callintel_dagster.alerts.incidents import CHANGED, OPENED, RESOLVED, Incident

TITLES = {
    "run_failure": "Run failed",
    "key_rejected": "Provider refused a key",
    "key_rejected_delivery": "Provider refused a key",
    "sync_stale": "Tenant stopped syncing",
    "digest_late": "Digest not delivered",
    "analysis_failure_rate": "Analysis failure rate above threshold",
}
MARKS = {OPENED: "🔴 OPEN", CHANGED: "🟠 CHANGED", RESOLVED: "✅ RESOLVED"}


@dataclass(frozen=True)
class Notice:
    event: str  # opened | changed | resolved
    incident: Incident

    @property
    def id(self) -> str:
        """Unique per incident and notice: `<key hash>-<n>` (n counts this incident's notices)."""
        digest = hashlib.sha256("|".join(self.incident.key).encode()).hexdigest()[:12]
        return f"{digest}-{self.incident.notices + 1}"

    @property
    def title(self) -> str:
        i = self.incident
        return f"[callintel] {MARKS[self.event]}: {TITLES.get(i.rule, i.rule)} ({i.tenant_id})"

    def facts(self) -> list[tuple[str, str]]:
        i = self.incident
        rows = [("rule", i.rule), ("tenant", i.tenant_id)]
        rows += [("asset", i.asset)] if i.asset else []
        rows += [("partition", i.partition_key)] if i.partition_key else []
        rows += [("reason", i.reason)]
        if i.run_id:
            rows += [("run", f"{i.run_id} ({i.job_name})" if i.job_name else i.run_id)]
        rows += [("since", f"{i.opened_at_utc:%Y-%m-%d %H:%M} UTC")]
        return rows

    @property
    def text(self) -> str:
        return "\n".join([self.title, *(f"{k}: {v}" for k, v in self.facts())])

    def slack(self) -> dict:
        """Slack's incoming-webhook JSON: `text` (notifications, fallbacks) and `blocks`."""
        fields = [{"type": "mrkdwn", "text": f"*{k}*\n{_escape(v)}"} for k, v in self.facts()]
        return {
            "text": self.title,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": self.title[:150]}},
                {"type": "section", "fields": fields[:10]},  # Slack takes at most 10 fields
            ],
        }


def _escape(value: str) -> str:
    # Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
