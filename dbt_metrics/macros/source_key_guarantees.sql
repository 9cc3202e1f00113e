{#- True when `model` is a view over one source whose primary key lies within `columns`. -#}
{% macro source_key_guarantees(model, columns) -%}
    {%- if not execute or model is string or model.identifier is not defined -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == model.identifier
              and node.schema == model.schema and node.config.materialized == 'view' -%}
            {%- set parents = node.depends_on.nodes -%}
            {%- if parents | length == 1 and parents[0].startswith('source.') -%}
                {%- set src = graph.sources[parents[0]] -%}
                {{ return(primary_key_within(src.schema ~ '.' ~ src.identifier, columns)) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
