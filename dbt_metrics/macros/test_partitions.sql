{#-
  Data tests on a partition-selected run check the selected partitions only.

  dbt wraps the model of every generic test in get_where_subquery(). This override adds, when the
  var `partitions` is set (and the run is not a --full-refresh), a filter to the selected
  tenant-days for models with tenant_id and partition_date columns (or the selected tenants for
  tenant-grained ones: dim_contacts). The daily run then tests the rows it rebuilt, in time
  proportional to them, instead of re-scanning every table of the warehouse (at 10M calls the
  tests were most of a daily run). A run without the var (`make demo`, a manual `dbt build`) and a
  --full-refresh test every row. A test's own `where` config still applies, and-ed with it.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set wheres = [] -%}
    {%- if config.get('where', '') -%}
        {%- do wheres.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- set selected = tested_partitions_sql(relation) -%}
    {%- if selected -%}
        {%- do wheres.append(selected) -%}
    {%- endif -%}
    {%- if wheres -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ wheres | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The filter for `relation` on a partition-selected run, or '' (test every row). -#}
{% macro tested_partitions_sql(relation) -%}
    {%- if not execute or flags.FULL_REFRESH or (selected_partitions() | length) == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == relation.identifier
              and node.schema == relation.schema -%}
            {%- if 'tenant_id' in node.columns and 'partition_date' in node.columns -%}
                {{ return(selected_partitions_sql()) }}
            {%- elif 'tenant_id' in node.columns -%}
                {{ return(selected_tenants_sql()) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
