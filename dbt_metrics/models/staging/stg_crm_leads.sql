with

source as (

    select * from {{ source('raw', 'crm_leads') }}

),

renamed as (

    select
        -- keys
        cast(tenant_id as varchar) as tenant_id,
        cast(partition_date as date) as partition_date,
        cast(lead_id as varchar) as lead_id,

        -- lead
        cast(provider as varchar) as crm_provider,
        full_name,
        email,
        lead_source,
        lead_status,

        -- phone
        phone_raw,
        phone_e164,
        cast(phone_valid as boolean) as phone_valid,
        phone_issue,

        -- payload
        extra_json,

        -- repairs the sanitiser made at ingest (column:reason, ...)
        repairs,

        -- the tenant-local day the lead was created (partition_date is the day it last changed)
        cast(created_date as date) as created_date,

        -- timestamps (naive UTC)
        cast(created_at_utc as timestamp) as created_at_utc,
        cast(modified_at_utc as timestamp) as modified_at_utc,
        cast(ingested_at_utc as timestamp) as ingested_at_utc

    from source

)

select * from renamed
