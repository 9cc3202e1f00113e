{#-
  One row per tenant, day and call agent (fct_calls.agent_name; NULL or blank → 'unknown').
  Incremental (delete+insert on tenant_id, partition_date): with the var `partitions` set, every
  agent row of the selected tenant-days is recomputed; see macros/partitions.sql.
-#}
{#- the pre-hook also clears a selected tenant-day whose recomputation returns no rows -#}
{{ config(pre_hook="{{ delete_selected_partitions() }}", on_schema_change="append_new_columns") }}

with

calls as (

    select
        *,
        coalesce(nullif(trim(agent_name), ''), 'unknown') as agent
    from {{ ref('fct_calls') }}
    where {{ partition_filter() }}

),

-- Objections of calls analysed ok (one row per call and objection type).
objections as (

    select distinct
        raised.tenant_id,
        raised.partition_date,
        raised.call_id,
        raised.objection
    from {{ ref('stg_call_objections') }} as raised
    where {{ partition_filter('raised.tenant_id', 'raised.partition_date') }}

),

call_objections as (

    select
        calls.tenant_id,
        calls.partition_date,
        calls.call_id,
        count(objections.objection) as objections
    from calls
    inner join objections
        on  objections.tenant_id = calls.tenant_id
        and objections.partition_date = calls.partition_date
        and objections.call_id = calls.call_id
    where calls.analysis_status = 'ok'
    group by calls.tenant_id, calls.partition_date, calls.call_id

),

per_agent as (

    select
        calls.tenant_id,
        calls.partition_date,
        calls.agent,
        count(*) as calls,
        count(case when calls.is_connected then 1 end) as connected_calls,
        count(case when calls.analysis_status = 'ok' then 1 end) as analysed_calls,
        avg(calls.quality_score) as avg_quality_score,
        avg(calls.sentiment_score) as avg_sentiment_score,
        count(case when calls.bant_qualified then 1 end) as bant_qualified_calls,
        count(case when calls.lead_status = 'booked' then 1 end) as booked_calls,
        count(case when calls.lead_status = 'purchased' then 1 end) as purchased_calls,
        sum(call_objections.objections) as objections_raised,
        count(call_objections.call_id) as calls_with_objections,
        -- averages of measured values only (avg skips NULL: text without timestamps), with the
        -- number of calls each figure rests on
        avg(calls.talk_ratio) as avg_talk_ratio,
        count(calls.talk_ratio) as talk_ratio_calls,
        avg(calls.longest_monologue_agent_s) as avg_longest_monologue_agent_s,
        count(calls.longest_monologue_agent_s) as monologue_calls,
        avg(calls.agent_word_share) as avg_agent_word_share,
        count(calls.agent_word_share) as word_share_calls,
        avg(calls.lead_score) as avg_lead_score
    from calls
    left join call_objections
        on  call_objections.tenant_id = calls.tenant_id
        and call_objections.partition_date = calls.partition_date
        and call_objections.call_id = calls.call_id
    group by calls.tenant_id, calls.partition_date, calls.agent

),

final as (

    select
        -- keys
        tenant_id,
        partition_date,
        cast(agent as varchar) as agent_name,

        -- volume
        cast(calls as bigint) as calls,
        cast(connected_calls as bigint) as connected_calls,
        cast(analysed_calls as bigint) as analysed_calls,

        -- analysis
        cast(avg_quality_score as double precision) as avg_quality_score,
        cast(avg_sentiment_score as double precision) as avg_sentiment_score,
        cast(avg_lead_score as double precision) as avg_lead_score,
        cast(bant_qualified_calls as bigint) as bant_qualified_calls,

        -- outcomes (the analysis' lead_status)
        cast(booked_calls as bigint) as booked_calls,
        cast(purchased_calls as bigint) as purchased_calls,

        -- objections
        cast(coalesce(objections_raised, 0) as bigint) as objections_raised,
        cast(calls_with_objections as bigint) as calls_with_objections,

        -- conversation
        cast(avg_talk_ratio as double precision) as avg_talk_ratio,
        cast(talk_ratio_calls as bigint) as talk_ratio_calls,
        cast(avg_longest_monologue_agent_s as double precision) as avg_longest_monologue_agent_s,
        cast(monologue_calls as bigint) as monologue_calls,
        cast(avg_agent_word_share as double precision) as avg_agent_word_share,
        cast(word_share_calls as bigint) as word_share_calls

    from per_agent

)

select * from final
