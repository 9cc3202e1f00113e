{#-
  One row per call analysed ok and objection type it raised, with the call's agent: the objections
  kpi_tenant_daily, agent_scorecard_daily and objection_trends_daily count. Joining the objections
  with fct_calls once here, instead of once in each of those marts, saves two joins over every
  call (at 10M calls each was a large part of its mart's time). Incremental per tenant-day like the
  marts (delete+insert on tenant_id, partition_date; the pre-hook clears a selected tenant-day that
  now has no objections).
-#}
{{ config(pre_hook="{{ delete_selected_partitions() }}") }}
{%- set key = ['tenant_id', 'partition_date', 'call_id', 'objection'] %}

with

analysed_calls as (

    select
        tenant_id,
        partition_date,
        call_id,
        coalesce(nullif(trim(agent_name), ''), 'unknown') as agent
    from {{ ref('fct_calls') }}
    where analysis_status = 'ok'
      and {{ partition_filter() }}

),

-- a call raising the same type twice counts once; no DISTINCT where the table's primary key
-- already makes each row unique (macros/latest_row_rank.sql)
raised as (

    select {{ '' if primary_key_within('core.call_objections', key) else 'distinct' }}
        tenant_id,
        partition_date,
        call_id,
        objection
    from {{ ref('stg_call_objections') }}
    where {{ partition_filter() }}

),

final as (

    select
        raised.tenant_id,
        raised.partition_date,
        raised.call_id,
        cast(analysed_calls.agent as varchar) as agent_name,
        raised.objection
    from raised
    inner join analysed_calls
        on  analysed_calls.tenant_id = raised.tenant_id
        and analysed_calls.partition_date = raised.partition_date
        and analysed_calls.call_id = raised.call_id

)

select * from final
