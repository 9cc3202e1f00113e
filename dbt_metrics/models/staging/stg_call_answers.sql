with

source as (

    select * from {{ source('core', 'call_answers') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(call_id as varchar) as call_id,

        -- what was asked
        cast(kind as varchar) as answer_kind,
        cast(name as varchar) as answer_name,
        question,

        -- what the call said
        answer,
        quote

    from source

)

select * from renamed
