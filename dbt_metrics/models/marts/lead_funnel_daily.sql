{#-
  One row per tenant per day: the lead funnel new -> contacted -> connected -> qualified ->
  booked -> won. `new` counts leads created that day; the call stages count distinct leads whose
  calls that day reached the stage (a call belongs to a lead through its normalised number, see
  fct_calls.lead_id); `won` counts CRM deals that changed that day into a won stage, with their
  amount. Incremental like kpi_tenant_daily (delete+insert of the selected tenant-days).
-#}
{{ config(pre_hook="{{ delete_selected_partitions() }}", on_schema_change="append_new_columns") }}

with

spine as (

    select tenant_id, partition_date from {{ ref('kpi_tenant_daily') }}
    where {{ partition_filter() }}

),

created as (

    select tenant_id, created_date as partition_date, count(distinct lead_id) as new_leads
    from {{ ref('stg_crm_leads') }}
    where created_date is not null
      and {{ partition_filter('tenant_id', 'created_date') }}
    group by tenant_id, created_date

),

called as (

    select
        tenant_id,
        partition_date,
        count(distinct lead_id) as contacted_leads,
        count(distinct case when is_connected then lead_id end) as connected_leads,
        count(distinct case
            when is_connected
             and (bant_qualified or lead_status in ('qualified', 'booked', 'purchased'))
            then lead_id
        end) as qualified_leads,
        count(distinct case
            when lead_status in ('booked', 'purchased') then lead_id
        end) as booked_leads
    from {{ ref('fct_calls') }}
    where lead_id is not null
      and {{ partition_filter() }}
    group by tenant_id, partition_date

),

won as (

    select
        tenant_id,
        partition_date,
        count(*) as won_deals,
        sum(amount) as won_amount
    from {{ ref('stg_crm_deals') }}
    where is_won
      and {{ partition_filter() }}
    group by tenant_id, partition_date

),

final as (

    select
        spine.tenant_id,
        spine.partition_date,
        cast(coalesce(created.new_leads, 0) as bigint) as new_leads,
        cast(coalesce(called.contacted_leads, 0) as bigint) as contacted_leads,
        cast(coalesce(called.connected_leads, 0) as bigint) as connected_leads,
        cast(coalesce(called.qualified_leads, 0) as bigint) as qualified_leads,
        cast(coalesce(called.booked_leads, 0) as bigint) as booked_leads,
        cast(coalesce(won.won_deals, 0) as bigint) as won_deals,
        cast(coalesce(won.won_amount, 0) as double precision) as won_amount
    from spine
    left join created
        on  created.tenant_id = spine.tenant_id
        and created.partition_date = spine.partition_date
    left join called
        on  called.tenant_id = spine.tenant_id
        and called.partition_date = spine.partition_date
    left join won
        on  won.tenant_id = spine.tenant_id
        and won.partition_date = spine.partition_date

)

select * from final
