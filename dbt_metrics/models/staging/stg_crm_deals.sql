with

source as (

    select * from {{ source('raw', 'crm_deals') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(deal_id as varchar) as deal_id,

        -- deal
        cast(provider as varchar) as crm_provider,
        deal_name,
        stage,
        -- a deal the CRM records as won (Zoho's "Closed Won", and "won" in other pipelines)
        (lower(coalesce(stage, '')) like '%won%' and lower(coalesce(stage, '')) not like '%lost%')
            as is_won,
        cast(amount as double precision) as amount,
        owner_name,
        cast(closing_date as date) as closing_date,
        cast(created_date as date) as created_date,

        -- timestamps (naive UTC)
        cast(created_at_utc as timestamp) as created_at_utc,
        cast(modified_at_utc as timestamp) as modified_at_utc

    from source

)

select * from renamed
