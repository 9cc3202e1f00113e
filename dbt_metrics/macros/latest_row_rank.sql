{#-
  `row_rank` of the latest row per key, for marts that keep one row per call of a source that
  could once hold several (a write that ran twice, before the warehouse had primary keys).

  When the source table's primary key is a subset of `key_columns` (lib/tables.py gives every
  table one, and older warehouses gain theirs unless rows clash), no two rows share the key, so
  every row ranks 1: the constant `1` replaces the window, which partitions and sorts every row
  (at 10M calls, four such windows were most of fct_calls' time). The result is the same row set
  either way. The key is looked up in information_schema, which DuckDB and PostgreSQL both have.
  `source_table` is named as text (schema.table), not with source(): the model's lineage stays
  that of its staging refs.
-#}
{% macro latest_row_rank(source_table, key_columns, order_by) -%}
    {%- if primary_key_within(source_table, key_columns) -%}
        1
    {%- else -%}
        row_number() over (partition by {{ key_columns | join(', ') }} order by {{ order_by }})
    {%- endif -%}
{%- endmacro %}


{#- True when table `qualified` (schema.table) has a primary key whose columns are all in `columns`. -#}
{% macro primary_key_within(qualified, columns) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query(
        "select kcu.column_name from information_schema.table_constraints as tc"
        ~ " join information_schema.key_column_usage as kcu"
        ~ " on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema"
        ~ " and kcu.table_name = tc.table_name"
        ~ " where tc.constraint_type = 'PRIMARY KEY'"
        ~ " and tc.table_schema = '" ~ qualified.split('.')[0] ~ "'"
        ~ " and tc.table_name = '" ~ qualified.split('.')[1] ~ "'"
    ) -%}
    {%- set key = found.columns[0].values() | map('lower') | list -%}
    {{ return((key | length) > 0 and (key | reject('in', columns) | list | length) == 0) }}
{%- endmacro %}
