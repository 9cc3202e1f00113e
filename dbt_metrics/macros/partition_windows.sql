{#-
  Partition selection for marts whose rows depend on neighbouring days (rolling windows).

  A rolling figure of day D reads days D-6..D, so recomputing a selected tenant-day changes the
  rows of that tenant's next days too. These macros widen the selection of macros/partitions.sql
  by whole days around each selected tenant-day; like it, they only filter on an incremental run
  with the var `partitions` set, and are `1 = 1` otherwise. The dates are computed here, in Jinja,
  so the SQL stays the same on DuckDB and PostgreSQL.
-#}

{#- True for the selected tenants' days from `days_before` before to `days_after` after a selected day. -#}
{% macro partition_window_filter(days_before=0, days_after=0, tenant_col='tenant_id', date_col='partition_date') -%}
    {%- if partition_filter_active() -%}
        (
        {%- for p in selected_partitions() %}
            {%- set day = modules.datetime.date.fromisoformat(p.partition_date) %}
            {%- set first = day - modules.datetime.timedelta(days=days_before) %}
            {%- set last = day + modules.datetime.timedelta(days=days_after) %}
            {{ 'or ' if not loop.first }}({{ tenant_col }} = '{{ p.tenant_id | replace("'", "''") }}' and {{ date_col }} between cast('{{ first.isoformat() }}' as date) and cast('{{ last.isoformat() }}' as date))
        {%- endfor %}
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{#-
  Pre-hook: on a partition-selected incremental run, delete each selected tenant-day and the
  `days_after` days that follow it, all of which the model then rebuilds. Renders nothing otherwise.
-#}
{% macro delete_selected_windows(days_after=0) -%}
    {%- if execute and partition_filter_active() -%}
        delete from {{ this }} where {{ partition_window_filter(0, days_after) }}
    {%- endif -%}
{%- endmacro %}
