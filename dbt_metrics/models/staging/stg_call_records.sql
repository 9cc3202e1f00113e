with

source as (

    select * from {{ source('raw', 'call_records') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(call_id as varchar) as call_id,

        -- call
        cast(provider as varchar) as telephony_provider,
        direction,
        agent_name,
        call_status,
        cast(duration_seconds as double precision) as duration_seconds,
        recording_url,
        language,

        -- phone
        phone_raw,
        phone_e164,
        cast(phone_valid as boolean) as phone_valid,
        phone_issue,

        -- transcript supplied by the provider, if any
        transcript_text as source_transcript_text,
        transcript_turns_json as source_transcript_turns_json,

        -- payload
        extra_json,

        -- timestamps (naive UTC)
        cast(started_at_utc as timestamp) as started_at_utc,
        cast(ended_at_utc as timestamp) as ended_at_utc,
        cast(ingested_at_utc as timestamp) as ingested_at_utc

    from source

)

select * from renamed
