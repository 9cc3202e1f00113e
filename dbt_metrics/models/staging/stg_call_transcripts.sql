with

source as (

    select * from {{ source('core', 'call_transcripts') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(call_id as varchar) as call_id,

        -- transcript
        transcript_status,
        reason as transcript_reason,
        text as transcript_text,
        language,
        cast(duration_seconds as double precision) as transcript_duration_seconds,
        cast(confidence as double precision) as transcript_confidence,
        speaker_separation,
        cast(turn_count as bigint) as turn_count,

        -- speech-to-text engine
        cast(provider as varchar) as stt_provider,
        model as stt_model

    from source

)

select * from renamed
