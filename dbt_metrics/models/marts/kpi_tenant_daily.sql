{#-
  One row per tenant per day. The day spine is every tenant-day that was synced (stg_sync_log),
  had calls (stg_call_records) or had CRM leads (stg_crm_leads), so a synced day without calls
  still gets a row of zeros. Incremental (delete+insert on tenant_id, partition_date): with the var
  `partitions` set, only the selected tenant-days are recomputed; see macros/partitions.sql.
-#}
{#- delete+insert only deletes the tenant-days present in the new batch; the pre-hook also clears a
    selected tenant-day whose recomputation returns no rows (e.g. its calls were removed). -#}
{#- append_new_columns: a warehouse built by an older release gains the columns added since
    (NULL on rows built before, until their tenant-day is rebuilt) instead of failing the run. -#}
{{ config(pre_hook="{{ delete_selected_partitions() }}", on_schema_change="append_new_columns") }}

with

spine as (

    select tenant_id, partition_date from {{ ref('stg_sync_log') }}
    where {{ partition_filter() }}
    union
    select tenant_id, partition_date from {{ ref('stg_call_records') }}
    where {{ partition_filter() }}
    union
    select tenant_id, partition_date from {{ ref('stg_crm_leads') }}
    where {{ partition_filter() }}

),

calls as (

    select * from {{ ref('fct_calls') }}
    where {{ partition_filter() }}

),

-- Objections of the day's calls analysed ok (one row per call and objection type).
objections as (

    select tenant_id, partition_date, call_id, objection
    from {{ ref('int_call_objections') }}
    where {{ partition_filter() }}

),

leads as (

    select tenant_id, partition_date, lead_id
    from {{ ref('stg_crm_leads') }}
    where {{ partition_filter() }}

),

-- leads by the tenant-local day they were created (a lead's row sits on the day it last changed)
created_leads as (

    select tenant_id, created_date as partition_date, lead_id
    from {{ ref('stg_crm_leads') }}
    where created_date is not null
      and {{ partition_filter('tenant_id', 'created_date') }}

),

call_kpis as (

    select
        tenant_id,
        partition_date,
        count(*) as calls,
        count(case when is_connected then 1 end) as connected_calls,
        sum(case when is_connected then duration_seconds end) as connected_seconds,
        avg(case when is_connected then duration_seconds end) as avg_duration_seconds,
        count(case when analysis_status = 'ok' then 1 end) as analysed_calls,
        count(case when analysis_status = 'skipped' then 1 end) as skipped_calls,
        count(case when analysis_status = 'failed' then 1 end) as failed_analyses,
        count(case when analysis_status = 'pending' then 1 end) as pending_analyses,
        count(case when sentiment_label = 'positive' then 1 end) as positive_calls,
        count(case when sentiment_label = 'neutral' then 1 end) as neutral_calls,
        count(case when sentiment_label = 'negative' then 1 end) as negative_calls,
        avg(quality_score) as avg_quality_score,
        -- a qualified person counts once per day however often they were called; calls without a
        -- normalised phone number count individually
        count(distinct case
            when bant_qualified then coalesce('phone:' || phone_e164, 'call:' || call_id)
        end) as qualified_leads,
        count(case when lead_status = 'booked' then 1 end) as booked,
        count(case when bant_qualified then 1 end) as bant_qualified_calls,
        avg(lead_score) as avg_lead_score,
        sum(llm_requests) as llm_requests,
        sum(llm_retries) as llm_retries,
        count(case when cache_hit then 1 end) as llm_cache_hits,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(cost_usd) as cost_usd,
        avg(talk_ratio) as avg_talk_ratio,
        count(case when not phone_valid then 1 end) as invalid_phone_calls
    from calls
    group by tenant_id, partition_date

),

objection_kpis as (

    select
        tenant_id,
        partition_date,
        {%- for objection in objection_types() %}
        count(case when objection = '{{ objection }}' then 1 end) as objections_{{ objection }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from objections
    group by tenant_id, partition_date

),

lead_kpis as (

    select
        tenant_id,
        partition_date,
        count(distinct lead_id) as leads_modified
    from leads
    group by tenant_id, partition_date

),

new_lead_kpis as (

    select
        tenant_id,
        partition_date,
        count(distinct lead_id) as new_leads
    from created_leads
    group by tenant_id, partition_date

),

final as (

    select
        spine.tenant_id,
        spine.partition_date,

        -- volume
        cast(coalesce(call_kpis.calls, 0) as bigint) as calls,
        cast(coalesce(call_kpis.connected_calls, 0) as bigint) as connected_calls,
        cast(
            case
                when coalesce(call_kpis.calls, 0) > 0
                    then cast(call_kpis.connected_calls as double precision) / call_kpis.calls
            end
        as double precision) as connect_rate,
        cast(coalesce(call_kpis.connected_seconds, 0) / 60.0 as double precision) as talk_minutes,
        cast(call_kpis.avg_duration_seconds as double precision) as avg_duration_seconds,

        -- analysis
        cast(coalesce(call_kpis.analysed_calls, 0) as bigint) as analysed_calls,
        cast(coalesce(call_kpis.skipped_calls, 0) as bigint) as skipped_calls,
        cast(coalesce(call_kpis.failed_analyses, 0) as bigint) as failed_analyses,
        cast(coalesce(call_kpis.pending_analyses, 0) as bigint) as pending_analyses,
        cast(coalesce(call_kpis.positive_calls, 0) as bigint) as positive_calls,
        cast(coalesce(call_kpis.neutral_calls, 0) as bigint) as neutral_calls,
        cast(coalesce(call_kpis.negative_calls, 0) as bigint) as negative_calls,
        cast(call_kpis.avg_quality_score as double precision) as avg_quality_score,
        cast(call_kpis.avg_lead_score as double precision) as avg_lead_score,

        -- pipeline
        cast(coalesce(new_lead_kpis.new_leads, 0) as bigint) as new_leads,
        cast(coalesce(lead_kpis.leads_modified, 0) as bigint) as leads_modified,
        cast(coalesce(call_kpis.qualified_leads, 0) as bigint) as qualified_leads,
        cast(coalesce(call_kpis.booked, 0) as bigint) as booked,
        cast(coalesce(call_kpis.bant_qualified_calls, 0) as bigint) as bant_qualified_calls,
        cast(
            case
                when coalesce(call_kpis.analysed_calls, 0) > 0
                    then cast(call_kpis.bant_qualified_calls as double precision)
                        / call_kpis.analysed_calls
            end
        as double precision) as bant_qualified_share,

        -- objections: calls analysed ok that raised each type
        {%- for objection in objection_types() %}
        cast(coalesce(objection_kpis.objections_{{ objection }}, 0) as bigint)
            as objections_{{ objection }},
        {%- endfor %}

        -- conversation
        cast(call_kpis.avg_talk_ratio as double precision) as avg_talk_ratio,

        -- data quality
        cast(coalesce(call_kpis.invalid_phone_calls, 0) as bigint) as invalid_phone_calls,

        -- LLM usage of the day's analyses (latest attempt of each call); the daily summary's is
        -- added by llm_cost_daily, since the summary is written after (and from) this mart
        cast(coalesce(call_kpis.llm_requests, 0) as bigint) as llm_requests,
        cast(coalesce(call_kpis.llm_retries, 0) as bigint) as llm_retries,
        cast(coalesce(call_kpis.llm_cache_hits, 0) as bigint) as llm_cache_hits,
        cast(coalesce(call_kpis.prompt_tokens, 0) as bigint) as analysis_prompt_tokens,
        cast(coalesce(call_kpis.completion_tokens, 0) as bigint) as analysis_completion_tokens,
        cast(coalesce(call_kpis.cost_usd, 0) as double precision) as analysis_cost_usd

    from spine

    left join call_kpis
        on  call_kpis.tenant_id = spine.tenant_id
        and call_kpis.partition_date = spine.partition_date

    left join lead_kpis
        on  lead_kpis.tenant_id = spine.tenant_id
        and lead_kpis.partition_date = spine.partition_date
    left join new_lead_kpis
        on  new_lead_kpis.tenant_id = spine.tenant_id
        and new_lead_kpis.partition_date = spine.partition_date

    left join objection_kpis
        on  objection_kpis.tenant_id = spine.tenant_id
        and objection_kpis.partition_date = spine.partition_date

)

select * from final
