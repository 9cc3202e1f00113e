with

source as (

    select * from {{ source('core', 'call_signals') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(call_id as varchar) as call_id,

        -- talk time
        cast(talk_seconds as double precision) as talk_seconds,
        cast(agent_talk_seconds as double precision) as agent_talk_seconds,
        cast(customer_talk_seconds as double precision) as customer_talk_seconds,
        cast(talk_ratio as double precision) as talk_ratio,
        cast(non_talk_seconds as double precision) as non_talk_seconds,
        cast(non_talk_share as double precision) as non_talk_share,

        -- monologues
        cast(longest_monologue_agent_s as double precision) as longest_monologue_agent_s,
        cast(longest_monologue_customer_s as double precision) as longest_monologue_customer_s,

        -- questions
        cast(questions_agent as bigint) as questions_agent,
        cast(questions_customer as bigint) as questions_customer,
        cast(question_rate_agent_per_min as double precision) as question_rate_agent_per_min,
        cast(question_rate_customer_per_min as double precision) as question_rate_customer_per_min,

        -- pace
        cast(interruptions as bigint) as interruptions,
        cast(words_per_minute as double precision) as words_per_minute,
        cast(turns_per_minute as double precision) as turns_per_minute,

        -- talk share by words (needs no timestamps)
        cast(agent_word_share as double precision) as agent_word_share

    from source

)

select * from renamed
