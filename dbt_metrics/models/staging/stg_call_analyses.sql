with

source as (

    select * from {{ source('core', 'call_analyses') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(call_id as varchar) as call_id,

        -- run
        analysis_status,
        reason as analysis_reason,
        cast(attempts as bigint) as attempts,
        cast(provider as varchar) as llm_provider,
        model as llm_model,
        agent_version,
        input_hash,

        -- sentiment
        sentiment_label,
        cast(sentiment_score as double precision) as sentiment_score,

        -- BANT qualification
        cast(bant_budget as boolean) as bant_budget,
        cast(bant_authority as boolean) as bant_authority,
        cast(bant_need as boolean) as bant_need,
        cast(bant_timeline as boolean) as bant_timeline,
        cast(bant_qualified as boolean) as bant_qualified,

        -- outcome
        cast(quality_score as double precision) as quality_score,
        contact_tag,
        lead_status,
        cast(lead_score as double precision) as lead_score,
        qualification_stage,
        summary,
        summary_paragraph,
        objections_json,
        analysis_json,

        -- LLM usage of the latest attempt
        cast(cache_hit as boolean) as cache_hit,
        cast(requests as bigint) as llm_requests,
        cast(retries as bigint) as llm_retries,
        cast(prompt_tokens as bigint) as prompt_tokens,
        cast(completion_tokens as bigint) as completion_tokens,
        cast(cost_usd as double precision) as cost_usd,

        -- timestamps (naive UTC)
        cast(analysed_at_utc as timestamp) as analysed_at_utc

    from source

)

select * from renamed
