{#-
  One row per tenant, day and call language: the day's calls by the language detected from their
  transcripts. Incremental like kpi_tenant_daily (delete+insert of the selected tenant-days).
-#}
{{ config(pre_hook="{{ delete_selected_partitions() }}", on_schema_change="append_new_columns") }}

select
    tenant_id,
    partition_date,
    cast(coalesce(language, 'unknown') as varchar) as language,
    cast(count(*) as bigint) as calls,
    cast(count(case when is_connected then 1 end) as bigint) as connected_calls,
    cast(count(case when analysis_status = 'ok' then 1 end) as bigint) as analysed_calls,
    cast(avg(quality_score) as double precision) as avg_quality_score,
    cast(avg(sentiment_score) as double precision) as avg_sentiment_score,
    cast(count(case when lead_status = 'booked' then 1 end) as bigint) as booked
from {{ ref('fct_calls') }}
where {{ partition_filter() }}
group by 1, 2, 3
