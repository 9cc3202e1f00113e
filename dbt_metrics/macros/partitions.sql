{#-
  Partition selection for the incremental marts.

  var `partitions`: a list of {"tenant_id": "...", "partition_date": "YYYY-MM-DD"} objects (a JSON
  string of that list is accepted too). It only takes effect when the model is incremental
  (the table exists and --full-refresh is not set); otherwise every tenant-day is rebuilt.
-#}

{% macro selected_partitions() -%}
    {%- set raw = var('partitions', []) -%}
    {%- if raw is none or raw == '' -%}
        {%- set raw = [] -%}
    {%- elif raw is string -%}
        {%- set raw = fromjson(raw) -%}
    {%- endif -%}
    {%- if raw is mapping -%}
        {%- set raw = [raw] -%}
    {%- endif -%}
    {%- set parsed = [] -%}
    {%- for p in raw -%}
        {%- if p is not mapping or 'tenant_id' not in p or 'partition_date' not in p -%}
            {{ exceptions.raise_compiler_error(
                "var 'partitions': every item must be {\"tenant_id\": ..., \"partition_date\": \"YYYY-MM-DD\"}, got " ~ p) }}
        {%- endif -%}
        {%- set tenant = p['tenant_id'] | string -%}
        {%- set day = p['partition_date'] | string -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', day) -%}
            {{ exceptions.raise_compiler_error("var 'partitions': partition_date must be YYYY-MM-DD, got " ~ day) }}
        {%- endif -%}
        {%- do parsed.append({'tenant_id': tenant, 'partition_date': day}) -%}
    {%- endfor -%}
    {{ return(parsed) }}
{%- endmacro %}


{% macro partition_filter_active() -%}
    {{ return(is_incremental() and (selected_partitions() | length) > 0) }}
{%- endmacro %}


{#- A boolean SQL expression: true for the selected tenant-days, or `1 = 1` when not filtering. -#}
{% macro partition_filter(tenant_col='tenant_id', date_col='partition_date') -%}
    {%- if partition_filter_active() -%}
        {{ selected_partitions_sql(tenant_col, date_col) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{#- Same, tenants only: for lookups that must see all of a selected tenant's days (CRM leads). -#}
{% macro tenant_filter(tenant_col='tenant_id') -%}
    {%- if partition_filter_active() -%}
        {{ selected_tenants_sql(tenant_col) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{#- True for the selected tenant-days (the var must be non-empty). -#}
{% macro selected_partitions_sql(tenant_col='tenant_id', date_col='partition_date') -%}
    (
    {%- for p in selected_partitions() %}
        {{ 'or ' if not loop.first }}({{ tenant_col }} = '{{ p.tenant_id | replace("'", "''") }}' and {{ date_col }} = cast('{{ p.partition_date }}' as date))
    {%- endfor %}
    )
{%- endmacro %}


{#- True for the selected tenants (the var must be non-empty). -#}
{% macro selected_tenants_sql(tenant_col='tenant_id') -%}
    {%- set tenants = selected_partitions() | map(attribute='tenant_id') | unique | list -%}
    {{ tenant_col }} in (
    {%- for t in tenants -%}
        '{{ t | replace("'", "''") }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
    )
{%- endmacro %}


{#-
  Pre-hook of the marts: on a partition-selected incremental run, delete the selected tenant-days
  first. delete+insert alone only replaces tenant-days that still produce rows, so a tenant-day
  whose recomputation is empty would otherwise keep its old rows. Renders nothing otherwise.
-#}
{% macro delete_selected_partitions() -%}
    {%- if execute and partition_filter_active() -%}
        delete from {{ this }} where {{ partition_filter() }}
    {%- endif -%}
{%- endmacro %}


{#-
  Pre-hook of tenant-grained marts (dim_contacts): on a partition-selected incremental run, delete
  every row of the selected tenants, which are then rebuilt whole. Renders nothing otherwise.
-#}
{% macro delete_selected_tenants() -%}
    {%- if execute and partition_filter_active() -%}
        delete from {{ this }} where {{ tenant_filter() }}
    {%- endif -%}
{%- endmacro %}
