{#-
  Fails with the rows of `model` where any of `column_names` is NULL, each naming its NULL
  columns in `null_columns`.

  One test per model (and severity) instead of dbt's `not_null` per column: a model's columns are
  checked in one scan, and a daily run records one Dagster asset-check result per model instead
  of one per column (the 148 per-column tests were three quarters of the project's 199 tests,
  each a dbt node to run and a check result every run wrote to Dagster's event log).
-#}
{% test not_null_columns(model, column_names) %}
    select
        concat_ws(', '
        {%- for column in column_names %}
            , case when {{ column }} is null then '{{ column }}' end
        {%- endfor %}
        ) as null_columns,
        *
    from {{ model }}
    where {% for column in column_names -%}
        {{ column }} is null{% if not loop.last %} or {% endif %}
    {%- endfor %}
{% endtest %}
