"""Synthetic raw/core rows for bench/dbt_scale.py, generated inside DuckDB (10M calls in ~a minute).

Every figure is drawn from `u(id, salt)`, a uniform 0..1 from a hash, so a run is reproducible
and the marts see realistic spreads rather than constants: call outcomes by weight, skewed call
durations, contacts called repeatedly (a skewed pick from each tenant's pool of numbers, so
fct_calls finds their leads), a few unparseable numbers, transcripts only for answered calls,
analyses with failures and pending ones, 0..n objections per analysed call, leads, deals, the sync
log and the AI usage rows.
"""

from datetime import date

CONTACTS_PER_TENANT = 20_000
OBJECTIONS = (
    "price",
    "competitor",
    "timing",
    "no_need",
    "authority",
    "trust",
    "think_about_it",
    "other",
)
# chance that an analysed call raises each objection (about one per call on average)
OBJECTION_ODDS = (0.30, 0.12, 0.20, 0.10, 0.08, 0.07, 0.15, 0.05)

MACROS = """
CREATE OR REPLACE TEMP MACRO u(id, salt) AS (hash(id, salt) % 1000003) / 1000003.0;
CREATE OR REPLACE TEMP MACRO pick(x, a, b) AS list_extract(a, list_position(
    list_transform(b, lambda w, j: list_sum(b[1:j]) >= x), true));
"""

# One row per call with its fate; every table below is derived from it.
FATES = """
CREATE OR REPLACE TEMP TABLE fates AS
WITH base AS (
    SELECT t, d, k, (t * 100000 + d) * 100000 + k AS i
    FROM range({tenants}) a(t), range({first}, {last}) b(d), range({per_day}) c(k)
)
SELECT
    i, t, d,
    printf('t%03d', t) AS tenant_id,
    DATE '{day0}' + CAST(d AS INTEGER) AS partition_date,
    'c' || i AS call_id,
    CAST(floor(pow(u(i, 1), 2.5) * {contacts}) AS BIGINT) AS contact,
    u(i, 2) < 0.03 AS bad_phone,
    pick(u(i, 3), ['completed', 'no_answer', 'busy', 'failed', 'voicemail'],
         [0.62, 0.20, 0.07, 0.03, 0.08]) AS call_status,
    pick(u(i, 4), ['ok', 'empty', 'failed'], [0.95, 0.03, 0.02]) AS stt,
    pick(u(i, 5), ['ok', 'failed', 'pending'], [0.94, 0.04, 0.02]) AS llm
FROM base
"""

CALL_RECORDS = """
INSERT INTO raw.call_records BY NAME
SELECT
    tenant_id, partition_date, call_id,
    ['bolna', 'exotel', 'twilio'][1 + t % 3] AS provider,
    CASE WHEN u(i, 10) < 0.7 THEN 'outbound' WHEN u(i, 10) < 0.98 THEN 'inbound' END AS direction,
    CASE WHEN u(i, 11) < 0.01 THEN '' ELSE 'Agent ' || CAST(floor(u(i, 12) * 25) AS INTEGER) END
        AS agent_name,
    CASE WHEN bad_phone THEN '98' || CAST(contact AS VARCHAR)
         ELSE '+91 98' || lpad(CAST(contact AS VARCHAR), 8, '0') END AS phone_raw,
    CASE WHEN NOT bad_phone THEN '+9198' || lpad(CAST(contact AS VARCHAR), 8, '0') END AS phone_e164,
    NOT bad_phone AS phone_valid,
    CASE WHEN bad_phone THEN 'too_short' END AS phone_issue,
    started AS started_at_utc,
    started + to_seconds(CAST(secs AS BIGINT)) AS ended_at_utc,
    secs AS duration_seconds,
    call_status,
    CASE WHEN call_status = 'completed' THEN 'https://rec.example/' || call_id || '.mp3' END
        AS recording_url,
    '{"campaign": "c' || CAST(t % 7 AS VARCHAR) || '", "queue": ' || CAST(k_q AS VARCHAR) || '}'
        AS extra_json,
    true AS is_final,
    CAST(hash(i, 13) AS VARCHAR) AS record_hash,
    started + INTERVAL 2 HOUR AS ingested_at_utc
FROM (
    SELECT *,
        CAST(partition_date AS TIMESTAMP) + to_seconds(CAST(9000 + u(i, 14) * 36000 AS BIGINT))
            AS started,
        CASE WHEN call_status = 'completed' THEN round(20 - ln(u(i, 15) + 1e-9) * 170, 1)
             ELSE round(u(i, 15) * 40, 1) END AS secs,
        CAST(floor(u(i, 16) * 5) AS INTEGER) AS k_q
    FROM fates
)
"""

CALL_TRANSCRIPTS = """
INSERT INTO core.call_transcripts BY NAME
SELECT
    tenant_id, partition_date, call_id,
    CASE WHEN call_status <> 'completed' THEN 'no_transcript' ELSE stt END AS transcript_status,
    CASE WHEN call_status <> 'completed' THEN 'no_audio'
         WHEN stt = 'empty' THEN 'no_speech' WHEN stt = 'failed' THEN 'provider_unavailable' END
        AS reason,
    CASE WHEN call_status = 'completed' AND stt = 'ok'
         THEN 'Agent: Namaste, calling about your enquiry ' || call_id
              || '. Customer: Yes, tell me the price and the timeline.' END AS text,
    CASE WHEN call_status = 'completed' AND stt = 'ok'
         THEN pick(u(i, 20), ['en', 'hi', 'hi-Latn', 'ta'], [0.55, 0.25, 0.15, 0.05]) END
        AS language,
    CASE WHEN call_status = 'completed' THEN round(30 + u(i, 21) * 600, 1) END AS duration_seconds,
    CASE WHEN call_status = 'completed' THEN 'sarvam' ELSE 'none' END AS provider,
    CASE WHEN call_status = 'completed' THEN 'saarika:v2' END AS model,
    CASE WHEN stt = 'ok' THEN round(0.6 + u(i, 22) * 0.4, 3) END AS confidence,
    CASE WHEN call_status <> 'completed' THEN 'none' WHEN u(i, 23) < 0.8 THEN 'channel'
         ELSE 'diarization' END AS speaker_separation,
    CASE WHEN call_status = 'completed' AND stt = 'ok' THEN CAST(6 + u(i, 24) * 80 AS BIGINT)
         ELSE 0 END AS turn_count,
    1 AS attempts
FROM fates
"""

CALL_SIGNALS = """
INSERT INTO core.call_signals BY NAME
SELECT
    tenant_id, partition_date, call_id,
    talk AS talk_seconds,
    talk * ratio AS agent_talk_seconds,
    talk * (1 - ratio) AS customer_talk_seconds,
    ratio AS talk_ratio,
    round(u(i, 31) * 60, 1) AS longest_monologue_agent_s,
    round(u(i, 32) * 40, 1) AS longest_monologue_customer_s,
    CAST(u(i, 33) * 15 AS BIGINT) AS questions_agent,
    CAST(u(i, 34) * 8 AS BIGINT) AS questions_customer,
    round(u(i, 35) * 3, 2) AS question_rate_agent_per_min,
    round(u(i, 36) * 1.5, 2) AS question_rate_customer_per_min,
    round(talk * 0.1, 1) AS non_talk_seconds,
    0.1 AS non_talk_share,
    CAST(u(i, 37) * 6 AS BIGINT) AS interruptions,
    round(90 + u(i, 38) * 80, 1) AS words_per_minute,
    round(4 + u(i, 39) * 8, 2) AS turns_per_minute,
    round(0.3 + u(i, 40) * 0.5, 3) AS agent_word_share
FROM (SELECT *, round(30 + u(i, 41) * 500, 1) AS talk, round(0.25 + u(i, 42) * 0.5, 3) AS ratio
      FROM fates WHERE call_status = 'completed' AND stt = 'ok')
"""

CALL_ANALYSES = """
INSERT INTO core.call_analyses BY NAME
SELECT
    tenant_id, partition_date, call_id,
    status AS analysis_status,
    CASE status WHEN 'skipped' THEN 'no_transcript' WHEN 'failed' THEN 'llm_timeout'
         WHEN 'pending' THEN 'run_cap' END AS reason,
    CASE WHEN status = 'failed' THEN 3 ELSE 1 END AS attempts,
    'openai' AS provider, 'gpt-4o-mini' AS model, 'v7:gpt-4o-mini' AS agent_version,
    CAST(hash(i, 50) AS VARCHAR) AS input_hash,
    CASE WHEN ok THEN pick(u(i, 51), ['positive', 'neutral', 'negative'], [0.45, 0.35, 0.20]) END
        AS sentiment_label,
    CASE WHEN ok THEN round(u(i, 52) * 2 - 1, 2) END AS sentiment_score,
    CASE WHEN ok THEN 'Customer asked about pricing for call ' || call_id END AS summary,
    CASE WHEN ok THEN u(i, 53) < 0.5 END AS bant_budget,
    CASE WHEN ok THEN u(i, 54) < 0.4 END AS bant_authority,
    CASE WHEN ok THEN u(i, 55) < 0.6 END AS bant_need,
    CASE WHEN ok THEN u(i, 56) < 0.5 END AS bant_timeline,
    CASE WHEN ok THEN u(i, 57) < 0.25 END AS bant_qualified,
    CASE WHEN ok THEN '["price"]' END AS objections_json,
    CASE WHEN ok THEN round(20 + u(i, 58) * 80, 0) END AS quality_score,
    CASE WHEN ok THEN pick(u(i, 59), ['purchased', 'interested', 'follow_up', 'not_interested'],
                           [0.05, 0.30, 0.35, 0.30]) END AS contact_tag,
    CASE WHEN ok THEN pick(u(i, 60), ['booked', 'callback', 'qualified', 'unqualified', 'purchased'],
                           [0.10, 0.30, 0.20, 0.35, 0.05]) END AS lead_status,
    CASE WHEN ok THEN '{"call": "' || call_id || '", "sentiment": {"score": 0.1}}' END
        AS analysis_json,
    CAST(partition_date AS TIMESTAMP) + INTERVAL 20 HOUR AS analysed_at_utc,
    CASE WHEN ok THEN round(u(i, 61) * 100, 0) END AS lead_score,
    CASE WHEN ok THEN pick(u(i, 62), ['new', 'contacted', 'engaged', 'qualified'],
                           [0.1, 0.4, 0.3, 0.2]) END AS qualification_stage,
    CASE WHEN status IN ('ok', 'failed') THEN u(i, 63) < 0.05 END AS cache_hit,
    CASE WHEN status IN ('ok', 'failed') THEN 1 + CAST(u(i, 64) < 0.1 AS INTEGER) END AS requests,
    CASE WHEN status IN ('ok', 'failed') THEN CAST(u(i, 64) < 0.1 AS INTEGER) END AS retries,
    CASE WHEN status IN ('ok', 'failed') THEN CAST(800 + u(i, 65) * 3000 AS BIGINT) END
        AS prompt_tokens,
    CASE WHEN status IN ('ok', 'failed') THEN CAST(150 + u(i, 66) * 400 AS BIGINT) END
        AS completion_tokens,
    CASE WHEN status IN ('ok', 'failed') THEN round(u(i, 67) * 0.002, 6) END AS cost_usd
FROM (SELECT *, CASE WHEN call_status <> 'completed' OR stt <> 'ok' THEN 'skipped' ELSE llm END
              AS status, call_status = 'completed' AND stt = 'ok' AND llm = 'ok' AS ok
      FROM fates)
"""

CALL_OBJECTIONS = """
INSERT INTO core.call_objections BY NAME
SELECT tenant_id, partition_date, call_id, {names}[o] AS objection
FROM fates, range(1, 9) r(o)
WHERE call_status = 'completed' AND stt = 'ok' AND llm = 'ok' AND u(i, 70 + o) < {odds}[o]
"""

AI_USAGE = """
INSERT INTO core.ai_usage BY NAME
SELECT tenant_id, partition_date, 'u' || i || kind AS usage_id, kind,
    CASE kind WHEN 'llm' THEN 'analysis' ELSE 'transcription' END AS purpose, call_id,
    CASE kind WHEN 'llm' THEN 'openai' ELSE 'sarvam' END AS provider,
    CASE kind WHEN 'llm' THEN 'gpt-4o-mini' ELSE 'saarika:v2' END AS model,
    CASE kind WHEN 'llm' THEN 1 ELSE 0 END AS requests, 0 AS retries,
    CASE kind WHEN 'llm' THEN CAST(800 + u(i, 65) * 3000 AS BIGINT) ELSE 0 END AS prompt_tokens,
    CASE kind WHEN 'llm' THEN CAST(150 + u(i, 66) * 400 AS BIGINT) ELSE 0 END AS completion_tokens,
    CASE kind WHEN 'stt' THEN round(30 + u(i, 21) * 600, 1) END AS audio_seconds,
    round(u(i, 67) * 0.002, 6) AS cost_usd, true AS priced,
    CAST(partition_date AS TIMESTAMP) + INTERVAL 20 HOUR AS recorded_at_utc
FROM fates, (VALUES ('llm'), ('stt')) v(kind)
WHERE call_status = 'completed' AND (kind = 'stt' OR (stt = 'ok' AND llm <> 'pending'))
"""

# A lead per ~10 calls, numbers from the same pools as the calls (so calls find their leads);
# its row sits on the day it last changed, created up to 30 days before.
CRM_LEADS = """
INSERT INTO raw.crm_leads BY NAME
SELECT
    tenant_id, partition_date, 'L' || i AS lead_id, 'zoho' AS provider,
    'Lead ' || i AS full_name,
    '+91 98' || lpad(CAST(contact AS VARCHAR), 8, '0') AS phone_raw,
    '+9198' || lpad(CAST(contact AS VARCHAR), 8, '0') AS phone_e164,
    true AS phone_valid,
    pick(u(i, 80), ['web', 'ads', 'referral'], [0.5, 0.3, 0.2]) AS lead_source,
    pick(u(i, 81), ['New', 'Contacted', 'Qualified', 'Lost'], [0.4, 0.3, 0.2, 0.1]) AS lead_status,
    CAST(created AS TIMESTAMP) + INTERVAL 6 HOUR AS created_at_utc,
    created AS created_date,
    CAST(partition_date AS TIMESTAMP) + INTERVAL 7 HOUR AS modified_at_utc,
    CAST(hash(i, 82) AS VARCHAR) AS record_hash,
    CAST(partition_date AS TIMESTAMP) + INTERVAL 8 HOUR AS ingested_at_utc
FROM (SELECT *, partition_date - CAST(floor(u(i, 83) * 30) AS INTEGER) AS created
      FROM fates WHERE i % 10 = 0)
"""

CRM_DEALS = """
INSERT INTO raw.crm_deals BY NAME
SELECT
    tenant_id, partition_date, 'D' || i AS deal_id, 'zoho' AS provider, 'Deal ' || i AS deal_name,
    pick(u(i, 90), ['Qualification', 'Negotiation', 'Closed Won', 'Closed Lost'],
         [0.4, 0.2, 0.2, 0.2]) AS stage,
    round(5000 + u(i, 91) * 95000, 0) AS amount,
    CAST(partition_date AS TIMESTAMP) + INTERVAL 7 HOUR AS modified_at_utc,
    CAST(hash(i, 92) AS VARCHAR) AS record_hash,
    CAST(partition_date AS TIMESTAMP) + INTERVAL 8 HOUR AS ingested_at_utc
FROM fates WHERE i % 100 = 0
"""

SYNC_LOG = """
INSERT INTO raw.sync_log BY NAME
SELECT tenant_id, partition_date, source,
    CASE source WHEN 'call_records' THEN 'bolna' ELSE 'zoho' END AS provider,
    {per_day} AS fetched, CAST(partition_date AS TIMESTAMP) + INTERVAL 23 HOUR AS synced_at_utc
FROM (SELECT DISTINCT tenant_id, partition_date FROM fates),
    (VALUES ('call_records'), ('crm_leads')) v(source)
"""

DAILY_SUMMARIES = """
INSERT INTO delivery.daily_summaries BY NAME
SELECT tenant_id, partition_date, 'openai' AS provider, 'gpt-4o-mini' AS model,
    'A steady day' AS headline, '{}' AS summary_json,
    CAST(partition_date AS TIMESTAMP) + INTERVAL 23 HOUR AS created_at_utc,
    1200 AS prompt_tokens, 300 AS completion_tokens, 0.0004 AS cost_usd
FROM (SELECT DISTINCT tenant_id, partition_date FROM fates)
"""


def generate_day_range(con, tenants: int, first: int, last: int, per_day: int, day0: date) -> None:
    """Every tenant's days `first`..`last - 1` (0 = day0), `per_day` calls each, in all tables."""
    con.execute("SET preserve_insertion_order = false")
    for statement in MACROS.strip().split(";\n"):
        con.execute(statement)
    con.execute(
        FATES.format(
            tenants=tenants,
            first=first,
            last=last,
            per_day=per_day,
            day0=day0.isoformat(),
            contacts=CONTACTS_PER_TENANT,
        )
    )
    names = "[" + ", ".join(f"'{o}'" for o in OBJECTIONS) + "]"
    odds = "[" + ", ".join(str(p) for p in OBJECTION_ODDS) + "]"
    for sql in (
        CALL_RECORDS,
        CALL_TRANSCRIPTS,
        CALL_SIGNALS,
        CALL_ANALYSES,
        CALL_OBJECTIONS.format(names=names, odds=odds),
        AI_USAGE,
        CRM_LEADS,
        CRM_DEALS,
        SYNC_LOG.format(per_day=per_day),
        DAILY_SUMMARIES,
    ):
        con.execute(sql)
    con.execute("DROP TABLE fates")
