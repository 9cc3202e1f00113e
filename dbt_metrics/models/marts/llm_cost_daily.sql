{#-
  One row per tenant-day: the day's LLM usage, the calls' analyses plus the daily summary.
  A view: the daily summary is made from kpi_tenant_daily, so it is written after every dbt build
  of its day; a table built by dbt could never include it without a re-run changing the KPIs.
  The summary is read from the source itself, not a staging view: on PostgreSQL, rebuilding a view
  drops the views over it (DROP ... CASCADE), and this one would vanish whenever a build stopped
  between the two.
-#}
{{ config(materialized='view') }}

with

kpis as (

    select * from {{ ref('kpi_tenant_daily') }}

),

summaries as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(prompt_tokens as bigint) as prompt_tokens,
        cast(completion_tokens as bigint) as completion_tokens,
        cast(cost_usd as double precision) as cost_usd,
        row_number() over (
            partition by tenant_id, partition_date order by created_at_utc desc
        ) as row_rank
    -- written by the daily_ai_summary asset, which itself reads kpi_tenant_daily: declared as a
    -- dbt source it would be a cycle (or a stray external asset in the lineage), so the view names
    -- the table and reads it at query time
    from delivery.daily_summaries

),

final as (

    select
        -- keys
        kpis.tenant_id,
        kpis.partition_date,

        -- the calls' analyses (kpi_tenant_daily, as of its last build)
        kpis.llm_requests,
        kpis.llm_retries,
        kpis.llm_cache_hits,
        kpis.analysis_prompt_tokens,
        kpis.analysis_completion_tokens,
        kpis.analysis_cost_usd,

        -- the daily summary (as written); NULL until it is
        summaries.prompt_tokens as summary_prompt_tokens,
        summaries.completion_tokens as summary_completion_tokens,
        summaries.cost_usd as summary_cost_usd,

        -- the day
        cast(
            coalesce(kpis.analysis_prompt_tokens, 0) + coalesce(summaries.prompt_tokens, 0)
        as bigint) as prompt_tokens,
        cast(
            coalesce(kpis.analysis_completion_tokens, 0) + coalesce(summaries.completion_tokens, 0)
        as bigint) as completion_tokens,
        cast(
            coalesce(kpis.analysis_cost_usd, 0) + coalesce(summaries.cost_usd, 0)
        as double precision) as cost_usd

    from kpis

    left join summaries
        on  summaries.tenant_id = kpis.tenant_id
        and summaries.partition_date = kpis.partition_date
        and summaries.row_rank = 1

)

select * from final
