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

-- Objections of calls analysed ok, per agent: how many were raised and in how many calls.
agent_objections as (

    select
        tenant_id,
        partition_date,
        agent_name as agent,
        count(objection) as objections_raised,
        count(distinct call_id) as calls_with_objections
    from {{ ref('int_call_objections') }}
    where {{ partition_filter() }}
    group by tenant_id, partition_date, agent_name

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
    group by calls.tenant_id, calls.partition_date, calls.agent

),

final as (

    select
        -- keys
        per_agent.tenant_id,
        per_agent.partition_date,
        cast(per_agent.agent as varchar) as agent_name,

        -- volume
        cast(per_agent.calls as bigint) as calls,
        cast(per_agent.connected_calls as bigint) as connected_calls,
        cast(per_agent.analysed_calls as bigint) as analysed_calls,

        -- analysis
        cast(per_agent.avg_quality_score as double precision) as avg_quality_score,
        cast(per_agent.avg_sentiment_score as double precision) as avg_sentiment_score,
        cast(per_agent.avg_lead_score as double precision) as avg_lead_score,
        cast(per_agent.bant_qualified_calls as bigint) as bant_qualified_calls,

        -- outcomes (the analysis' lead_status)
        cast(per_agent.booked_calls as bigint) as booked_calls,
        cast(per_agent.purchased_calls as bigint) as purchased_calls,

        -- objections
        cast(coalesce(agent_objections.objections_raised, 0) as bigint) as objections_raised,
        cast(coalesce(agent_objections.calls_with_objections, 0) as bigint)
            as calls_with_objections,

        -- conversation
        cast(per_agent.avg_talk_ratio as double precision) as avg_talk_ratio,
        cast(per_agent.talk_ratio_calls as bigint) as talk_ratio_calls,
        cast(per_agent.avg_longest_monologue_agent_s as double precision) as avg_longest_monologue_agent_s,
        cast(per_agent.monologue_calls as bigint) as monologue_calls,
        cast(per_agent.avg_agent_word_share as double precision) as avg_agent_word_share,
        cast(per_agent.word_share_calls as bigint) as word_share_calls

    from per_agent

    left join agent_objections
        on  agent_objections.tenant_id = per_agent.tenant_id
        and agent_objections.partition_date = per_agent.partition_date
        and agent_objections.agent = per_agent.agent

)

select * from final
