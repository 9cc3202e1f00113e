{#-
  One row per call whose latest analysis failed or is pending. A view, not an incremental table:
  the re-drive job (redrive_analyses_job) rewrites core.call_analyses without running dbt, and
  this list must show the state users are about to re-drive, not the state of the last dbt build.
  It reads the source itself rather than stg_call_analyses: on PostgreSQL, rebuilding a view drops
  the views over it (DROP ... CASCADE), so a view over the staging view would vanish whenever a
  build stopped between the two; the source table is never dropped.
-#}
{{ config(materialized='view') }}

with

analyses as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(call_id as varchar) as call_id,
        cast(analysis_status as varchar) as analysis_status,
        cast(reason as varchar) as reason,
        cast(attempts as bigint) as attempts,
        cast(provider as varchar) as llm_provider,
        cast(model as varchar) as llm_model,
        cast(agent_version as varchar) as agent_version,
        cast(analysed_at_utc as timestamp) as analysed_at_utc,
        -- the latest analysis of each call; the constant 1 where the table's primary key already
        -- makes each call one row (macros/latest_row_rank.sql), so the status filter below is all
        -- the view does (the window ranked every analysis: each query of this list sorted them all)
        {{ latest_row_rank('core.call_analyses', ['tenant_id', 'partition_date', 'call_id'], 'analysed_at_utc desc') }}
            as row_rank
    from {{ source('core', 'call_analyses') }}

),

final as (

    select
        -- keys
        tenant_id,
        partition_date,
        call_id,

        -- what went wrong
        analysis_status,
        reason,
        attempts,

        -- with what
        llm_provider,
        llm_model,
        agent_version,

        -- when (naive UTC)
        analysed_at_utc

    from analyses
    where row_rank = 1
      and analysis_status in ('failed', 'pending')

)

select * from final
