{#-
  One row per call. Incremental (delete+insert on tenant_id, partition_date): with the var
  `partitions` set, only the selected tenant-days are recomputed; see macros/partitions.sql.
-#}
{#- delete+insert only deletes the tenant-days present in the new batch; the pre-hook also clears a
    selected tenant-day whose recomputation returns no rows (e.g. its calls were removed). -#}
{#- append_new_columns: a warehouse built by an older release gains the columns added since
    (NULL on rows built before, until their tenant-day is rebuilt) instead of failing the run. -#}
{{ config(pre_hook="{{ delete_selected_partitions() }}", on_schema_change="append_new_columns") }}
{#- one row per call of each source: its latest (macros/latest_row_rank.sql; no window where the
    source's primary key already makes the call unique) -#}
{%- set key = ['tenant_id', 'partition_date', 'call_id'] %}

with

calls as (

    select
        *,
        {{ latest_row_rank('raw.call_records', key, 'ingested_at_utc desc') }} as row_rank
    from {{ ref('stg_call_records') }}
    where {{ partition_filter() }}

),

transcripts as (

    select
        tenant_id,
        partition_date,
        call_id,
        transcript_status,
        language,
        {{ latest_row_rank('core.call_transcripts', key, 'turn_count desc') }} as row_rank
    from {{ ref('stg_call_transcripts') }}
    where {{ partition_filter() }}

),

signals as (

    select
        *,
        {{ latest_row_rank('core.call_signals', key, 'talk_seconds desc nulls last') }}
            as row_rank
    from {{ ref('stg_call_signals') }}
    where {{ partition_filter() }}

),

analyses as (

    select
        *,
        {{ latest_row_rank('core.call_analyses', key, 'analysed_at_utc desc') }} as row_rank
    from {{ ref('stg_call_analyses') }}
    where {{ partition_filter() }}

),

-- A call's lead is looked up across all of the tenant's days (not only the call's day), so this
-- CTE is filtered by the selected tenants only. Never across tenants.
leads_by_phone as (

    select
        tenant_id,
        phone_e164,
        lead_id,
        row_number() over (
            partition by tenant_id, phone_e164
            order by
                modified_at_utc desc nulls last,
                created_at_utc desc nulls last,
                partition_date desc,
                lead_id desc
        ) as row_rank
    from {{ ref('stg_crm_leads') }}
    where phone_e164 is not null
      and {{ tenant_filter() }}

),

final as (

    select
        -- keys
        calls.tenant_id,
        calls.partition_date,
        calls.call_id,

        -- call
        calls.started_at_utc,
        calls.direction,
        calls.agent_name,
        calls.phone_e164,
        calls.phone_valid,
        {{ contact_key('calls.phone_e164', 'calls.phone_raw', "'call:' || calls.call_id") }} as contact_key,
        calls.call_status,
        (calls.call_status = 'completed' and coalesce(calls.duration_seconds, 0) > 0) as is_connected,
        calls.duration_seconds,

        -- CRM
        leads_by_phone.lead_id,

        -- transcript
        transcripts.transcript_status,
        transcripts.language,

        -- signals
        signals.talk_ratio,
        signals.agent_word_share,
        signals.longest_monologue_agent_s,
        signals.longest_monologue_customer_s,
        signals.questions_agent,
        signals.questions_customer,
        signals.interruptions,
        signals.non_talk_share,
        signals.words_per_minute,

        -- analysis
        analyses.analysis_status,
        analyses.sentiment_label,
        analyses.sentiment_score,
        analyses.quality_score,
        analyses.bant_qualified,
        analyses.contact_tag,
        analyses.lead_status,
        analyses.summary,
        analyses.objections_json,
        analyses.lead_score,
        analyses.qualification_stage,

        -- LLM usage of the analysis' latest attempt
        analyses.cache_hit,
        analyses.llm_requests,
        analyses.llm_retries,
        analyses.prompt_tokens,
        analyses.completion_tokens,
        analyses.cost_usd

    from calls

    left join transcripts
        on  transcripts.tenant_id = calls.tenant_id
        and transcripts.partition_date = calls.partition_date
        and transcripts.call_id = calls.call_id
        and transcripts.row_rank = 1

    left join signals
        on  signals.tenant_id = calls.tenant_id
        and signals.partition_date = calls.partition_date
        and signals.call_id = calls.call_id
        and signals.row_rank = 1

    left join analyses
        on  analyses.tenant_id = calls.tenant_id
        and analyses.partition_date = calls.partition_date
        and analyses.call_id = calls.call_id
        and analyses.row_rank = 1

    left join leads_by_phone
        on  leads_by_phone.tenant_id = calls.tenant_id
        and leads_by_phone.phone_e164 = calls.phone_e164
        and leads_by_phone.row_rank = 1

    where calls.row_rank = 1

)

select * from final
