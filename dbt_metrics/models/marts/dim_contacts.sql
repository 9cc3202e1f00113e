{#-
  One row per tenant and contact: CRM leads and callers merged on the E.164 number across the
  formats they were written in. Rebuilt per tenant: with the var `partitions` set, every row of the
  selected tenants is recomputed (a contact spans all of a tenant's days).
-#}
{{ config(unique_key=['tenant_id'], pre_hook="{{ delete_selected_tenants() }}") }}

with

calls as (

    select * from {{ ref('fct_calls') }}
    where {{ tenant_filter() }}

),

call_phones as (

    select
        tenant_id,
        {{ contact_key('phone_e164', 'phone_raw', "'call:' || call_id") }} as contact_key,
        phone_raw,
        phone_issue,
        started_at_utc as seen_at_utc
    from {{ ref('stg_call_records') }}
    where {{ tenant_filter() }}

),

leads as (

    select
        tenant_id,
        {{ contact_key('phone_e164', 'phone_raw', "'lead:' || lead_id") }} as contact_key,
        lead_id,
        full_name,
        lead_status,
        phone_raw,
        phone_issue,
        coalesce(created_at_utc, modified_at_utc) as seen_at_utc,
        row_number() over (
            partition by tenant_id, {{ contact_key('phone_e164', 'phone_raw', "'lead:' || lead_id") }}
            order by modified_at_utc desc nulls last, created_at_utc desc nulls last, lead_id desc
        ) as lead_rank
    from {{ ref('stg_crm_leads') }}
    where {{ tenant_filter() }}

),

sightings as (

    select tenant_id, contact_key, phone_raw, phone_issue, seen_at_utc from call_phones
    union all
    select tenant_id, contact_key, phone_raw, phone_issue, seen_at_utc from leads

),

identity as (

    select
        tenant_id,
        contact_key,
        max(phone_issue) as phone_issue,
        count(distinct phone_raw) as raw_formats,
        min(seen_at_utc) as first_seen_at_utc,
        max(seen_at_utc) as last_seen_at_utc
    from sightings
    group by tenant_id, contact_key

),

call_stats as (

    select
        tenant_id,
        contact_key,
        count(*) as calls,
        sum(case when is_connected then 1 else 0 end) as connected_calls,
        max(started_at_utc) as last_call_at_utc
    from calls
    group by tenant_id, contact_key

),

last_analysed as (

    select
        tenant_id,
        contact_key,
        contact_tag,
        lead_status,
        row_number() over (
            partition by tenant_id, contact_key order by started_at_utc desc, call_id desc
        ) as call_rank
    from calls
    where analysis_status = 'ok'

),

lead_counts as (

    select tenant_id, contact_key, count(distinct lead_id) as leads
    from leads
    group by tenant_id, contact_key

),

final as (

    select
        identity.tenant_id,
        identity.contact_key,
        case when identity.contact_key like 'unparsed:%' then null else identity.contact_key end
            as phone_e164,
        identity.contact_key not like 'unparsed:%' as phone_valid,
        case when identity.contact_key like 'unparsed:%' then identity.phone_issue end
            as phone_issue,
        identity.raw_formats,
        identity.first_seen_at_utc,
        identity.last_seen_at_utc,
        top_lead.lead_id,
        top_lead.full_name as lead_name,
        top_lead.lead_status as crm_lead_status,
        coalesce(lead_counts.leads, 0) as leads,
        coalesce(call_stats.calls, 0) as calls,
        coalesce(call_stats.connected_calls, 0) as connected_calls,
        call_stats.last_call_at_utc,
        last_analysed.contact_tag as last_contact_tag,
        last_analysed.lead_status as last_call_lead_status

    from identity

    left join leads as top_lead
        on  top_lead.tenant_id = identity.tenant_id
        and top_lead.contact_key = identity.contact_key
        and top_lead.lead_rank = 1

    left join lead_counts
        on  lead_counts.tenant_id = identity.tenant_id
        and lead_counts.contact_key = identity.contact_key

    left join call_stats
        on  call_stats.tenant_id = identity.tenant_id
        and call_stats.contact_key = identity.contact_key

    left join last_analysed
        on  last_analysed.tenant_id = identity.tenant_id
        and last_analysed.contact_key = identity.contact_key
        and last_analysed.call_rank = 1

)

select * from final
