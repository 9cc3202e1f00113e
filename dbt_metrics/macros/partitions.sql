{#-
  Partition selection for the incremental marts.

  var `partitions`: a list of {"tenant_id": "...", "partition_date": "YYYY-MM-DD"} objects, or of
  {"tenant_id": "...", "first_date": "YYYY-MM-DD", "last_date": "YYYY-MM-DD"} for a tenant's
  consecutive days; a JSON string of that list is accepted too. When the var is empty, the same
  JSON in the environment variable CALLINTEL_DBT_PARTITIONS: how Dagster runs pass their
  partitions (assets/metrics.py, assets/dbt_parse_state.py), one item per tenant's consecutive
  days, so that a long backfill stays short and dbt keeps its partial parse. It only takes effect
  when the model is incremental (the table exists and --full-refresh is not set); otherwise every
  tenant-day is rebuilt. selected_partitions() returns one {"tenant_id", "partition_date"} per
  tenant-day.
-#}

{% macro selected_partitions() -%}
    {%- set raw = var('partitions') -%}
    {%- if not raw and execute -%}
        {#- read when running, never while parsing: dbt then keeps its partial parse (a changed
            var, by contrast, makes it parse the whole project again) -#}
        {%- set raw = env_var('CALLINTEL_DBT_PARTITIONS', '') -%}
    {%- endif -%}
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
        {%- set ranged = p is mapping and 'first_date' in p and 'last_date' in p -%}
        {%- if p is not mapping or 'tenant_id' not in p or ('partition_date' not in p and not ranged) -%}
            {{ exceptions.raise_compiler_error(
                "var 'partitions': every item must be {\"tenant_id\": ..., \"partition_date\": \"YYYY-MM-DD\"} or {\"tenant_id\": ..., \"first_date\": ..., \"last_date\": ...}, got " ~ p) }}
        {%- endif -%}
        {%- set tenant = p['tenant_id'] | string -%}
        {%- set first = partition_day(p['first_date'] if ranged else p['partition_date']) -%}
        {%- set last = partition_day(p['last_date']) if ranged else first -%}
        {%- if last < first -%}
            {{ exceptions.raise_compiler_error("var 'partitions': last_date before first_date in " ~ p) }}
        {%- endif -%}
        {%- for n in range((last - first).days + 1) -%}
            {%- set day = first + modules.datetime.timedelta(days=n) -%}
            {%- do parsed.append({'tenant_id': tenant, 'partition_date': day.isoformat()}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(parsed) }}
{%- endmacro %}


{#- A YYYY-MM-DD string of the var as a date, or a compiler error naming it. -#}
{% macro partition_day(value) -%}
    {%- set day = value | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', day) -%}
        {{ exceptions.raise_compiler_error("var 'partitions': dates must be YYYY-MM-DD, got " ~ day) }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.strptime(day, '%Y-%m-%d').date()) }}
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
