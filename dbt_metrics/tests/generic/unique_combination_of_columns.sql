{#- Fails with one row per combination of `combination_of_columns` that occurs more than once. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set cols = combination_of_columns | join(', ') %}
    select {{ cols }}, count(*) as n_records
    from {{ model }}
    group by {{ cols }}
    having count(*) > 1
{% endtest %}
