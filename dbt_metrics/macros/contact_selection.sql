{#-
  dim_contacts is rebuilt per contact. A contact spans all of its tenant's days, so on a run with
  the var `partitions` it recomputes only the contacts the selected tenant-days touched:

  - every contact with a call on a selected tenant-day, or a lead whose row sits on one (a lead's
    row moves to the day it last changed);
  - every stored contact that lost a call or a lead (a number edited, a row removed): the member
    left a selected day, so its old contact is nowhere in the new rows, but that contact's stored
    `calls` or `leads` no longer matches the calls and leads now carrying its key.

  Anything that changes a contact's row adds or removes one of its calls or leads, or changes a
  call or lead on a selected day, so this set is every contact whose row would change; the rows
  equal a whole rebuild's (bench/dbt_compare.py checks it). The set is kept in a helper table for
  the run (made and cleared by the model's pre-hooks, dropped by its post-hook): the stored counts
  must be read before the pre-hook deletes the rows being rebuilt. Pre-hooks, in order:
  drop_touched_contacts, select_touched_contacts, delete_touched_contacts.
  Without the var (or on a first build or --full-refresh) the whole table is rebuilt.
-#}

{#- The helper table holding this run's contacts to rebuild (tenant_id, contact_key). -#}
{% macro touched_contacts_relation() -%}
    {{ return(this.incorporate(path={"identifier": this.identifier ~ "__touched"})) }}
{%- endmacro %}


{#- Pre-hook: the contacts to rebuild, into the helper table (partition-selected runs only). -#}
{% macro select_touched_contacts() -%}
    {%- if execute and partition_filter_active() -%}
        create table {{ touched_contacts_relation() }} as
        with

        now_called as (
            select tenant_id, {{ contact_key('phone_e164', 'phone_raw', "'call:' || call_id") }} as contact_key
            from {{ ref('stg_call_records') }}
            where {{ partition_filter() }}
        ),

        now_led as (
            select tenant_id, {{ contact_key('phone_e164', 'phone_raw', "'lead:' || lead_id") }} as contact_key
            from {{ ref('stg_crm_leads') }}
            where {{ partition_filter() }}
        ),

        call_counts as (
            select tenant_id, contact_key, count(*) as calls
            from {{ ref('fct_calls') }}
            where {{ tenant_filter() }}
            group by tenant_id, contact_key
        ),

        lead_counts as (
            select tenant_id, contact_key, count(distinct lead_id) as leads
            from (
                select tenant_id, lead_id, {{ contact_key('phone_e164', 'phone_raw', "'lead:' || lead_id") }} as contact_key
                from {{ ref('stg_crm_leads') }}
                where {{ tenant_filter() }}
            ) as keyed
            group by tenant_id, contact_key
        ),

        shrunk as (
            select stored.tenant_id, stored.contact_key
            from {{ this }} as stored
            left join call_counts
                on  call_counts.tenant_id = stored.tenant_id
                and call_counts.contact_key = stored.contact_key
            left join lead_counts
                on  lead_counts.tenant_id = stored.tenant_id
                and lead_counts.contact_key = stored.contact_key
            where {{ tenant_filter('stored.tenant_id') }}
              and (stored.calls <> coalesce(call_counts.calls, 0)
                   or stored.leads <> coalesce(lead_counts.leads, 0))
        )

        select tenant_id, contact_key from now_called
        union
        select tenant_id, contact_key from now_led
        union
        select tenant_id, contact_key from shrunk
    {%- endif -%}
{%- endmacro %}


{#-
  Pre-hook, after select_touched_contacts: delete the rows being rebuilt. delete+insert alone
  would keep the row of a contact left with no call or lead. Without the var, an incremental run
  rebuilds the whole table, so every row goes.
-#}
{% macro delete_touched_contacts() -%}
    {%- if execute and partition_filter_active() -%}
        delete from {{ this }} as stored
        where {{ touched_contact_filter('stored.tenant_id', 'stored.contact_key') }}
    {%- elif execute and is_incremental() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}


{#- A boolean SQL expression: the row's contact is being rebuilt (`1 = 1` without the var). -#}
{% macro touched_contact_filter(tenant_col, contact_col) -%}
    {%- if partition_filter_active() -%}
        exists (
            select 1 from {{ touched_contacts_relation() }} as touched
            where touched.tenant_id = {{ tenant_col }} and touched.contact_key = {{ contact_col }}
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{#- First pre-hook (a failed run may have left it) and post-hook: drop the helper table. -#}
{% macro drop_touched_contacts() -%}
    {%- if execute and partition_filter_active() -%}
        drop table if exists {{ touched_contacts_relation() }}
    {%- endif -%}
{%- endmacro %}
