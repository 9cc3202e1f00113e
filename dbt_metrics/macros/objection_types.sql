{#-
  The objection taxonomy of the analysis (callintel_dagster/lib/analysis/schema.py `Objection`):
  kpi_tenant_daily has one `objections_<type>` column per value. A new value needs a new column
  here and in kpi_tenant_daily.yml (and the accepted_values of stg_call_objections.yml).
-#}
{% macro objection_types() -%}
    {{ return(['price', 'competitor', 'timing', 'no_need', 'authority', 'trust', 'think_about_it', 'other']) }}
{%- endmacro %}
