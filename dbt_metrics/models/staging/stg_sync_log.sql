with

sync_log as (

    select * from {{ source('raw', 'sync_log') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,

        -- sync
        cast(sync_log.source as varchar) as sync_source,
        cast(provider as varchar) as provider,
        cast(fetched as bigint) as fetched_rows,
        cast(synced_at_utc as timestamp) as synced_at_utc

    from sync_log

)

select * from renamed
