"""The warehouse tables the assets write, as portable SQL (DuckDB and PostgreSQL).

Every table carries `tenant_id` and `partition_date` (the tenant's local calendar day) so that a
partitioned write can replace exactly its (tenant, day) slice. Timestamps are naive UTC (`*_utc`).
JSON payloads are stored as TEXT so both engines read them the same way.

Every table has a primary key, tenant_id first, chosen from what its writers guarantee unique:
- tables written by slice replacement (a stage's rows for a tenant-day) include partition_date,
  because a call whose day the provider changed still sits in its old day's slice until that day
  is re-materialized: (tenant_id, partition_date, call_id[, ...]);
- tables written by row upsert use exactly the upsert's key, wherever the row's day is (a lead, a
  call record, a cache entry): on PostgreSQL the upsert is then INSERT ... ON CONFLICT (key).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]
    # the columns no two rows share (tenant_id first); NOT NULL columns only
    primary_key: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def ddl(self) -> str:
        parts = [f"{c} {t}" for c, t in self.columns]
        if self.primary_key:
            parts.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        cols = ",\n  ".join(parts)
        return f"CREATE TABLE IF NOT EXISTS {self.qualified} (\n  {cols}\n)"


KEY = (("tenant_id", "VARCHAR NOT NULL"), ("partition_date", "DATE NOT NULL"))
PHONE = (
    ("phone_raw", "VARCHAR"),
    ("phone_e164", "VARCHAR"),  # NULL when the number could not be normalised
    ("phone_valid", "BOOLEAN NOT NULL"),
    ("phone_issue", "VARCHAR"),  # why the number is flagged (empty, too_short, invalid, ...)
)

CRM_LEADS = Table(
    "raw",
    "crm_leads",
    KEY
    + (
        ("lead_id", "VARCHAR NOT NULL"),
        ("provider", "VARCHAR NOT NULL"),
        ("full_name", "VARCHAR"),
        *PHONE,
        ("email", "VARCHAR"),
        ("lead_source", "VARCHAR"),
        ("lead_status", "VARCHAR"),
        ("created_at_utc", "TIMESTAMP"),
        ("created_date", "DATE"),  # the tenant-local day it was created (the funnel's "new")
        ("modified_at_utc", "TIMESTAMP"),
        ("extra_json", "TEXT"),
        (
            "record_hash",
            "VARCHAR NOT NULL",
        ),  # content hash: a re-fetch tells updated from unchanged
        ("repairs", "VARCHAR"),  # what the sanitiser repaired, as column:reason, ...
        ("ingested_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "lead_id"),
)

CALL_RECORDS = Table(
    "raw",
    "call_records",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("provider", "VARCHAR NOT NULL"),
        ("direction", "VARCHAR"),  # inbound | outbound
        ("agent_name", "VARCHAR"),
        *PHONE,
        ("started_at_utc", "TIMESTAMP NOT NULL"),
        ("ended_at_utc", "TIMESTAMP"),
        ("duration_seconds", "DOUBLE PRECISION"),
        ("call_status", "VARCHAR NOT NULL"),  # completed | no_answer | busy | failed | voicemail
        ("recording_url", "VARCHAR"),
        ("language", "VARCHAR"),
        ("transcript_text", "TEXT"),  # transcript the source provides, if any
        ("transcript_turns_json", "TEXT"),  # [{role, start_s, end_s, text}] from the source, if any
        ("extra_json", "TEXT"),
        ("is_final", "BOOLEAN NOT NULL"),  # false while the provider may still change it (re-read)
        ("record_hash", "VARCHAR NOT NULL"),
        ("repairs", "VARCHAR"),  # what the sanitiser repaired, as column:reason, ...
        ("ingested_at_utc", "TIMESTAMP NOT NULL"),
        # {entity: mentions} redacted from the source's transcript at sync (docs/privacy.md);
        # NULL when it was stored as delivered (no transcript, privacy off, or keep_raw)
        ("redactions_json", "TEXT"),
    ),
    primary_key=("tenant_id", "call_id"),
)

# One row per (tenant, day, source) sync: the spine that says a tenant-day was ingested even when
# it had no calls, so the KPI mart has exactly one row per ingested tenant-day.
SYNC_LOG = Table(
    "raw",
    "sync_log",
    KEY
    + (
        ("source", "VARCHAR NOT NULL"),  # crm_leads | call_records
        ("provider", "VARCHAR NOT NULL"),
        ("fetched", "BIGINT NOT NULL"),
        ("synced_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "partition_date", "source"),
)

# One row per (tenant, source): how far the incremental sync has read. Advanced in the same
# transaction as the rows it covers, so a failed sync never advances it.
SYNC_CURSORS = Table(
    "raw",
    "sync_cursors",
    (
        ("tenant_id", "VARCHAR NOT NULL"),
        ("source", "VARCHAR NOT NULL"),
        ("provider", "VARCHAR NOT NULL"),
        ("cursor_utc", "TIMESTAMP NOT NULL"),
        ("updated_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "source"),
)

CRM_DEALS = Table(
    "raw",
    "crm_deals",
    KEY
    + (  # partition_date: the local day it was modified
        ("deal_id", "VARCHAR NOT NULL"),
        ("provider", "VARCHAR NOT NULL"),
        ("deal_name", "VARCHAR"),
        ("stage", "VARCHAR"),
        ("amount", "DOUBLE PRECISION"),
        ("owner_name", "VARCHAR"),
        ("closing_date", "DATE"),
        ("created_at_utc", "TIMESTAMP"),
        ("created_date", "DATE"),  # the tenant-local day it was created (the funnel's "new")
        ("modified_at_utc", "TIMESTAMP"),
        ("extra_json", "TEXT"),
        ("record_hash", "VARCHAR NOT NULL"),
        ("repairs", "VARCHAR"),  # what the sanitiser repaired, as column:reason, ...
        ("ingested_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "deal_id"),
)

CALL_TRANSCRIPTS = Table(
    "core",
    "call_transcripts",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("transcript_status", "VARCHAR NOT NULL"),  # ok | empty | no_transcript | failed
        ("reason", "VARCHAR"),  # e.g. no_speech, unreadable_audio, too_long, provider_unavailable
        ("text", "TEXT"),
        ("language", "VARCHAR"),
        ("duration_seconds", "DOUBLE PRECISION"),
        ("provider", "VARCHAR NOT NULL"),
        ("model", "VARCHAR"),
        ("confidence", "DOUBLE PRECISION"),
        ("speaker_separation", "VARCHAR"),  # source | channel | diarization | heuristic | none
        ("turn_count", "BIGINT NOT NULL"),
        ("attempts", "BIGINT"),  # transcription attempts for this audio, provider and model
        ("audio_sha256", "VARCHAR"),  # the recording transcribed; new audio transcribes again
        # {entity: mentions} replaced in this transcript, at sync and here (docs/privacy.md);
        # "{}" when checked and clean, NULL when the tenant's privacy block switches it off
        ("redactions_json", "TEXT"),
    ),
    primary_key=("tenant_id", "partition_date", "call_id"),
)

TRANSCRIPT_TURNS = Table(
    "core",
    "transcript_turns",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("turn_index", "BIGINT NOT NULL"),
        ("role", "VARCHAR NOT NULL"),  # agent | customer | unknown
        ("start_s", "DOUBLE PRECISION"),
        ("end_s", "DOUBLE PRECISION"),
        ("text", "TEXT NOT NULL"),
        ("confidence", "DOUBLE PRECISION"),
    ),
    primary_key=("tenant_id", "partition_date", "call_id", "turn_index"),
)

CALL_SIGNALS = Table(
    "core",
    "call_signals",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("talk_seconds", "DOUBLE PRECISION"),
        ("agent_talk_seconds", "DOUBLE PRECISION"),
        ("customer_talk_seconds", "DOUBLE PRECISION"),
        ("talk_ratio", "DOUBLE PRECISION"),  # agent share of talk time, 0..1
        ("longest_monologue_agent_s", "DOUBLE PRECISION"),
        ("longest_monologue_customer_s", "DOUBLE PRECISION"),
        ("questions_agent", "BIGINT"),
        ("questions_customer", "BIGINT"),
        ("question_rate_agent_per_min", "DOUBLE PRECISION"),
        ("question_rate_customer_per_min", "DOUBLE PRECISION"),
        ("non_talk_seconds", "DOUBLE PRECISION"),
        ("non_talk_share", "DOUBLE PRECISION"),
        ("interruptions", "BIGINT"),
        ("words_per_minute", "DOUBLE PRECISION"),
        ("turns_per_minute", "DOUBLE PRECISION"),
        # agent words / (agent + customer words): a talk share that needs no timestamps
        ("agent_word_share", "DOUBLE PRECISION"),
    ),
    primary_key=("tenant_id", "partition_date", "call_id"),
)

CALL_ANALYSES = Table(
    "core",
    "call_analyses",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("analysis_status", "VARCHAR NOT NULL"),  # ok | skipped | failed | pending (run cap)
        ("reason", "VARCHAR"),
        ("attempts", "BIGINT NOT NULL"),
        ("provider", "VARCHAR NOT NULL"),
        ("model", "VARCHAR NOT NULL"),
        ("agent_version", "VARCHAR NOT NULL"),
        ("input_hash", "VARCHAR NOT NULL"),  # hash of the transcript analysed; a change re-analyses
        ("sentiment_label", "VARCHAR"),  # positive | neutral | negative
        ("sentiment_score", "DOUBLE PRECISION"),  # -1..1
        ("summary", "TEXT"),
        ("bant_budget", "BOOLEAN"),
        ("bant_authority", "BOOLEAN"),
        ("bant_need", "BOOLEAN"),
        ("bant_timeline", "BOOLEAN"),
        ("bant_qualified", "BOOLEAN"),
        ("objections_json", "TEXT"),  # ["price", "timing", ...]
        ("quality_score", "DOUBLE PRECISION"),  # 0..100
        ("contact_tag", "VARCHAR"),  # purchased | interested | follow_up | not_interested
        ("lead_status", "VARCHAR"),  # booked | callback | qualified | unqualified | ...
        ("analysis_json", "TEXT"),  # the full validated output
        ("analysed_at_utc", "TIMESTAMP NOT NULL"),
        ("summary_paragraph", "TEXT"),
        ("lead_score", "DOUBLE PRECISION"),  # 0..100
        ("qualification_stage", "VARCHAR"),  # new | contacted | engaged | qualified | ...
        ("cache_hit", "BOOLEAN"),  # answered from core.llm_cache: no request, no cost
        ("requests", "BIGINT"),  # LLM requests this attempt made (retries and repair included)
        ("retries", "BIGINT"),  # of those, retried after a 429 / 5xx / timeout
        ("prompt_tokens", "BIGINT"),
        ("completion_tokens", "BIGINT"),
        ("cost_usd", "DOUBLE PRECISION"),  # from the configured price table; 0 when unpriced
    ),
    primary_key=("tenant_id", "partition_date", "call_id"),
)

# One row per call and answer: a tenant's "questions for every call" and custom fields.
CALL_ANSWERS = Table(
    "core",
    "call_answers",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("kind", "VARCHAR NOT NULL"),  # question | field
        ("name", "VARCHAR NOT NULL"),  # the question's id or the field's name
        ("question", "TEXT"),  # the question as the tenant wrote it
        ("answer", "TEXT"),  # yes | no | unknown for yes/no questions, else short text
        ("quote", "TEXT"),  # the words in the call that support the answer
    ),
    primary_key=("tenant_id", "partition_date", "call_id", "kind", "name"),
)

# One row per call and objection (taxonomy value): feeds the objection-trend mart.
CALL_OBJECTIONS = Table(
    "core",
    "call_objections",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("objection", "VARCHAR NOT NULL"),
    ),
    primary_key=("tenant_id", "partition_date", "call_id", "objection"),
)

# LLM answers by hash(transcript, prompt version, model), per tenant: a repeated scripted call
# costs one request. Not partitioned: any day's call can hit any day's entry.
LLM_CACHE = Table(
    "core",
    "llm_cache",
    (
        ("tenant_id", "VARCHAR NOT NULL"),
        ("cache_key", "VARCHAR NOT NULL"),
        ("provider", "VARCHAR NOT NULL"),
        ("model", "VARCHAR NOT NULL"),
        ("response_json", "TEXT NOT NULL"),  # the validated output
        ("prompt_tokens", "BIGINT"),
        ("completion_tokens", "BIGINT"),
        ("created_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "cache_key"),
)

DAILY_SUMMARIES = Table(
    "delivery",
    "daily_summaries",
    KEY
    + (
        ("provider", "VARCHAR NOT NULL"),
        ("model", "VARCHAR NOT NULL"),
        ("headline", "TEXT NOT NULL"),
        ("summary_json", "TEXT NOT NULL"),  # {headline, wins[], risks[], actions[]}
        ("fallback_reason", "VARCHAR"),
        ("created_at_utc", "TIMESTAMP NOT NULL"),
        ("prompt_tokens", "BIGINT"),
        ("completion_tokens", "BIGINT"),
        ("cost_usd", "DOUBLE PRECISION"),
    ),
    primary_key=("tenant_id", "partition_date"),
)

DIGESTS = Table(
    "delivery",
    "digests",
    KEY
    + (
        ("recipient", "VARCHAR NOT NULL"),
        ("provider", "VARCHAR NOT NULL"),
        ("body", "TEXT NOT NULL"),
        ("delivery_status", "VARCHAR NOT NULL"),  # outboxed | queued | sent | delivered | failed
        ("location", "VARCHAR"),  # outbox file path or provider message id
        ("created_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "partition_date", "recipient"),
)

# Exactly once per tenant, day, recipient and message part: a row is written BEFORE the send
# (status "sending") and completed after it, so a retried run never sends a part twice.
WHATSAPP_LEDGER = Table(
    "delivery",
    "whatsapp_ledger",
    (
        ("tenant_id", "VARCHAR NOT NULL"),
        ("partition_date", "DATE NOT NULL"),
        ("recipient", "VARCHAR NOT NULL"),
        ("part_index", "BIGINT NOT NULL"),  # 0-based; a template message has one part
        ("parts", "BIGINT NOT NULL"),
        ("mode", "VARCHAR NOT NULL"),  # template | body
        ("body_sha256", "VARCHAR NOT NULL"),
        ("message_sid", "VARCHAR"),  # Twilio's SM... id once accepted
        ("status", "VARCHAR NOT NULL"),  # sending | queued | sent | delivered | read | failed ...
        ("error_code", "BIGINT"),  # Twilio's error code on failure
        ("error_message", "TEXT"),
        ("created_at_utc", "TIMESTAMP NOT NULL"),
        ("updated_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "partition_date", "recipient", "part_index"),
)

# One row per call written back to the tenant's CRM (Zoho note, LeadSquared activity, ...),
# keyed by tenant, call and agent version: a re-run never writes the same note twice.
CRM_WRITEBACKS = Table(
    "delivery",
    "crm_writebacks",
    (
        ("tenant_id", "VARCHAR NOT NULL"),
        ("partition_date", "DATE NOT NULL"),
        ("call_id", "VARCHAR NOT NULL"),
        ("agent_version", "VARCHAR NOT NULL"),
        ("provider", "VARCHAR NOT NULL"),
        ("lead_id", "VARCHAR"),
        ("status", "VARCHAR NOT NULL"),  # written | no_lead | no_crm_api | sending | failed
        ("remote_id", "VARCHAR"),  # the note / activity id the CRM returned
        ("reason", "TEXT"),
        ("attempts", "BIGINT NOT NULL"),
        ("written_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "call_id", "agent_version"),
)

CALL_RECORDINGS = Table(
    "raw",
    "call_recordings",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("location", "VARCHAR NOT NULL"),  # where the source said the audio is
        ("archive_uri", "VARCHAR"),  # where callintel keeps it, under the tenant's prefix
        ("bytes", "BIGINT"),
        ("sha256", "VARCHAR"),
        ("content_type", "VARCHAR"),
        ("recording_status", "VARCHAR NOT NULL"),  # archived | unavailable | retry
        ("reason", "VARCHAR"),
        ("archived_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "partition_date", "call_id"),
)

# One row per source record that could not become a row (quarantined on its own, its neighbours
# landed): the reason names the field, never the value. A later sync in which the record lands
# marks it resolved; re-drive by re-materializing its tenant-day (a full refetch).
QUARANTINED_RECORDS = Table(
    "raw",
    "quarantined_records",
    KEY
    + (  # partition_date: the local day of the sync window that fetched it
        ("source", "VARCHAR NOT NULL"),  # call_records | crm_leads | deals
        ("provider", "VARCHAR NOT NULL"),
        ("quarantine_id", "VARCHAR NOT NULL"),  # the record id, or a hash of the record
        ("record_id", "VARCHAR"),
        ("reason", "VARCHAR NOT NULL"),
        ("payload_json", "TEXT"),  # the record, sanitised, for whoever fixes the source
        ("status", "VARCHAR NOT NULL"),  # open | resolved
        ("quarantined_at_utc", "TIMESTAMP NOT NULL"),
        ("resolved_at_utc", "TIMESTAMP"),
    ),
    primary_key=("tenant_id", "source", "quarantine_id"),
)

# One row per paid piece of AI work: every LLM request batch (a call's analysis attempt with its
# retries and repair, a daily summary) and every recording sent to a speech-to-text provider.
# Appended, never replaced: a re-analysed call keeps what its earlier attempts cost.
AI_USAGE = Table(
    "core",
    "ai_usage",
    KEY
    + (  # partition_date: the tenant-day the work was for
        ("usage_id", "VARCHAR NOT NULL"),
        ("kind", "VARCHAR NOT NULL"),  # llm | stt
        ("purpose", "VARCHAR NOT NULL"),  # analysis | daily_summary | transcription
        ("call_id", "VARCHAR"),
        ("provider", "VARCHAR NOT NULL"),
        ("model", "VARCHAR"),
        ("requests", "BIGINT NOT NULL"),
        ("retries", "BIGINT NOT NULL"),
        ("prompt_tokens", "BIGINT NOT NULL"),
        ("completion_tokens", "BIGINT NOT NULL"),
        ("audio_seconds", "DOUBLE PRECISION"),
        ("cost_usd", "DOUBLE PRECISION NOT NULL"),
        ("priced", "BOOLEAN NOT NULL"),  # false: the tenant's price table has no price for it
        ("recorded_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "usage_id"),
)

# Calls the CRM-phone filter (`only_crm_phones`) held back because their number was not a lead
# yet: re-checked on every sync, so a call to a lead created in the same sync window (the CRM
# sync may run after the calls' one) lands as soon as the lead does.
HELD_CALLS = Table(
    "raw",
    "held_calls",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("phone_e164", "VARCHAR"),
        ("row_json", "TEXT NOT NULL"),  # the raw.call_records row, as it would have landed
        ("held_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "call_id"),
)

ALL_TABLES = (
    CRM_LEADS,
    CALL_RECORDS,
    SYNC_LOG,
    SYNC_CURSORS,
    CRM_DEALS,
    CALL_RECORDINGS,
    CALL_TRANSCRIPTS,
    TRANSCRIPT_TURNS,
    CALL_SIGNALS,
    CALL_ANALYSES,
    CALL_ANSWERS,
    CALL_OBJECTIONS,
    LLM_CACHE,
    DAILY_SUMMARIES,
    DIGESTS,
    WHATSAPP_LEDGER,
    CRM_WRITEBACKS,
    QUARANTINED_RECORDS,
    AI_USAGE,
    HELD_CALLS,
)
SCHEMAS = ("raw", "core", "marts", "delivery")

# dbt builds the marts (dbt_metrics/models/marts); Python reads them by these names.
FCT_CALLS = "marts.fct_calls"
DIM_CONTACTS = "marts.dim_contacts"
KPI_TENANT_DAILY = "marts.kpi_tenant_daily"
ANALYSIS_FAILURES = "marts.analysis_failures"

# One row per question a digest recipient asked by replying on WhatsApp (inbound/), keyed by
# tenant and Twilio's inbound MessageSid: a webhook Twilio retries finds the row and sends nothing
# again. The question's text is not kept (its hash is); the answer's parts are at Twilio by sid.
WHATSAPP_QUESTIONS = Table(
    "delivery",
    "whatsapp_questions",
    KEY  # partition_date: the tenant-local day the question arrived
    + (
        ("message_sid", "VARCHAR NOT NULL"),  # Twilio's inbound SM... id: the idempotency key
        ("recipient", "VARCHAR NOT NULL"),  # who asked: a number on the tenant's digest list
        ("from_masked", "VARCHAR NOT NULL"),  # the number as logs show it (+91******5678)
        ("question_sha256", "VARCHAR NOT NULL"),
        ("asked_at_utc", "TIMESTAMP NOT NULL"),
        ("status", "VARCHAR NOT NULL"),  # received | answering | answered | failed
        ("answer_mode", "VARCHAR"),  # ask's mode (llm | extractive | ...)
        ("not_found", "BOOLEAN"),  # the calls did not contain the answer
        ("parts", "BIGINT"),  # reply parts planned
        ("answer_sids", "VARCHAR"),  # the reply parts' Twilio sids, comma-separated, in order
        ("citations", "BIGINT"),
        ("dropped_citations", "BIGINT"),
        ("prompt_tokens", "BIGINT"),
        ("completion_tokens", "BIGINT"),
        ("cost_usd", "DOUBLE PRECISION"),
        ("error_code", "BIGINT"),  # Twilio's code when a part failed
        ("error_reason", "VARCHAR"),  # why it failed, as a code and ids, never message text
        ("answered_at_utc", "TIMESTAMP"),
        ("updated_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "message_sid"),
)
ALL_TABLES = (*ALL_TABLES, WHATSAPP_QUESTIONS)

# ---- search: ask and evaluate (callintel_dagster/search) -----------------------------------

# One row per tenant, call and evaluation question (`callintel evaluate`): the answer with the
# quote that supports it, checked verbatim against the transcript. A re-run on the same calls
# reuses a row whose input hash, provider, model and agent version still match: no request.
EVALUATIONS = Table(
    "core",
    "evaluations",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("question_id", "VARCHAR NOT NULL"),  # sha256 of the normalised question, 16 hex digits
        ("question", "TEXT NOT NULL"),  # as the user asked it
        ("answer", "VARCHAR NOT NULL"),  # yes | no | unknown
        ("quote", "TEXT"),  # verified words of the call ("" when unknown)
        ("start_s", "DOUBLE PRECISION"),  # where the quote starts
        ("reason", "VARCHAR"),  # why unknown (no_match, unverified_quote:..., llm_failed:...)
        ("status", "VARCHAR NOT NULL"),  # ok | failed (a failed row is asked again next run)
        ("provider", "VARCHAR NOT NULL"),
        ("model", "VARCHAR NOT NULL"),
        ("agent_version", "VARCHAR NOT NULL"),  # the prompt's (or rules') version and the model
        ("input_hash", "VARCHAR NOT NULL"),  # hash of the call's turns as evaluated
        ("requests", "BIGINT"),
        ("prompt_tokens", "BIGINT"),
        ("completion_tokens", "BIGINT"),
        ("cost_usd", "DOUBLE PRECISION"),
        ("evaluated_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "call_id", "question_id"),
)

ALL_TABLES = (*ALL_TABLES, EVALUATIONS)

# ---- alerts: operator incidents (callintel_dagster/alerts) ---------------------------------

# One row per incident, keyed by (rule, tenant_id, asset, partition_key): what is wrong now
# (`state`, `reason`) beside what the operator was last told (`notified_state`,
# `notified_reason`). A notice is due exactly when the two differ, so a repeat tick sends nothing
# and a failed send is tried again on the next tick. Reasons are ids and codes, never text.
ALERT_INCIDENTS = Table(
    "delivery",
    "alert_incidents",
    (
        ("rule", "VARCHAR NOT NULL"),  # run_failure | key_rejected | sync_stale | digest_late | ...
        ("tenant_id", "VARCHAR NOT NULL"),  # "*" for a run that spans tenants
        ("asset", "VARCHAR NOT NULL"),  # the asset (or step) concerned; "" when none
        ("partition_key", "VARCHAR NOT NULL"),  # e.g. 2026-11-18|acme; "" when none
        ("state", "VARCHAR NOT NULL"),  # open | resolved
        ("reason", "VARCHAR NOT NULL"),
        ("run_id", "VARCHAR"),  # the failed run, for run rules
        ("job_name", "VARCHAR"),  # the failed run's job: a later success of it resolves
        ("opened_at_utc", "TIMESTAMP NOT NULL"),
        ("updated_at_utc", "TIMESTAMP NOT NULL"),
        ("resolved_at_utc", "TIMESTAMP"),
        ("notified_state", "VARCHAR"),  # NULL: never told
        ("notified_reason", "VARCHAR"),
        ("notices", "BIGINT NOT NULL"),  # notices sent for this incident
        ("notified_at_utc", "TIMESTAMP"),
        ("sent_to", "VARCHAR"),  # channels that already have the pending notice (partial send)
    ),
    primary_key=("tenant_id", "rule", "asset", "partition_key"),
)
ALL_TABLES = (*ALL_TABLES, ALERT_INCIDENTS)

# ---- privacy: raw transcripts kept for admins (docs/privacy.md) ----------------------------

# One row per speaker turn as spoken, for tenants with `privacy.keep_raw: true` only; the same
# keys as core.transcript_turns, which holds the redacted turns everyone else reads. Admin-only:
# no stage, index, LLM request or explorer page reads it.
TRANSCRIPT_TURNS_RAW = Table(
    "core", "transcript_turns_raw", TRANSCRIPT_TURNS.columns, TRANSCRIPT_TURNS.primary_key
)
ALL_TABLES = (*ALL_TABLES, TRANSCRIPT_TURNS_RAW)

# ---- call claims: overlapping runs never do (and pay for) the same call twice --------------

# One row per call a run is working on in a stage (stages/claims.py); deleted when the run's
# step ends, ignored once its run is no longer live or `expires_at_utc` passes (a killed run).
CALL_CLAIMS = Table(
    "core",
    "call_claims",
    KEY
    + (
        ("call_id", "VARCHAR NOT NULL"),
        ("stage", "VARCHAR NOT NULL"),
        ("run_id", "VARCHAR NOT NULL"),
        ("claimed_at_utc", "TIMESTAMP NOT NULL"),
        ("expires_at_utc", "TIMESTAMP NOT NULL"),
    ),
    primary_key=("tenant_id", "stage", "call_id"),
)
ALL_TABLES = (*ALL_TABLES, CALL_CLAIMS)

# Tables of older releases that hold nothing worth keeping, dropped by the warehouse's schema
# set-up: core.work_claims held tenant-day claims, replaced by the per-call core.call_claims.
RETIRED_TABLES = ("core.work_claims",)
