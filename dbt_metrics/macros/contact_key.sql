{#-
  A contact's identity within a tenant: its E.164 number, so `+91 98…`, `098…` and `98…` are one
  contact. A number that could not be normalised stays a contact of its own, keyed by its raw
  text and flagged, never dropped. A row with no number at all is a contact of its own
  (`unparsed:(empty):<row>`, `row` naming the call or lead): numberless rows must never merge into
  one shared "empty" contact that would own a lead and every numberless call.
-#}
{% macro contact_key(phone_e164, phone_raw, row) -%}
    coalesce(
        {{ phone_e164 }},
        'unparsed:' || coalesce(nullif(trim({{ phone_raw }}), ''), '(empty):' || {{ row }})
    )
{%- endmacro %}
