{#-
  One row per tenant, day, kind (llm | stt), provider and model: what the day's AI work cost,
  every request counted (retries, repairs and earlier attempts of re-analysed calls included),
  and the speech-to-text minutes. A view over core.ai_usage, so the daily summary (written after
  the KPIs) is in it as soon as it is made.
-#}
{{ config(materialized='view') }}

select
    cast(tenant_id as varchar) as tenant_id,
    cast(partition_date as date) as partition_date,
    cast(kind as varchar) as kind,
    cast(provider as varchar) as provider,
    cast(model as varchar) as model,
    cast(count(distinct case when purpose = 'analysis' then call_id end) as bigint)
        as analysed_calls,
    cast(count(distinct case when purpose = 'transcription' then call_id end) as bigint)
        as transcribed_calls,
    cast(sum(requests) as bigint) as requests,
    cast(sum(retries) as bigint) as retries,
    cast(sum(prompt_tokens) as bigint) as prompt_tokens,
    cast(sum(completion_tokens) as bigint) as completion_tokens,
    cast(coalesce(sum(audio_seconds), 0) / 60.0 as double precision) as audio_minutes,
    cast(sum(cost_usd) as double precision) as cost_usd,
    cast(count(case when not priced then 1 end) as bigint) as unpriced_items
from {{ source('core', 'ai_usage') }}
group by 1, 2, 3, 4, 5
