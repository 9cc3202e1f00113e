with

source as (

    select * from {{ source('core', 'call_objections') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(call_id as varchar) as call_id,

        -- objection (taxonomy value)
        cast(objection as varchar) as objection

    from source

)

select * from renamed
