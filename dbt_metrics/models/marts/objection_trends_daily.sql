{#-
  One row per tenant, day and objection type raised that day. The rolling count of day D covers
  D-6..D, so a change to day D also changes the rolling counts of D+1..D+6: on a run with the var
  `partitions` set, every selected tenant-day AND its next 6 days are deleted (pre-hook) and
  rebuilt, reading the 6 days before each. Incremental (delete+insert on tenant_id,
  partition_date); see macros/partition_windows.sql.
-#}
{{ config(pre_hook="{{ delete_selected_windows(days_after=6) }}") }}

with

-- Calls analysed ok: the denominator of the share, and the only calls with objections.
analysed_calls as (

    select tenant_id, partition_date, call_id
    from {{ ref('fct_calls') }}
    where analysis_status = 'ok'
      and {{ partition_window_filter(6, 6) }}

),

objections as (

    select tenant_id, partition_date, call_id, objection
    from {{ ref('int_call_objections') }}
    where {{ partition_window_filter(6, 6) }}

),

analysed_per_day as (

    select tenant_id, partition_date, count(*) as analysed_calls
    from analysed_calls
    group by tenant_id, partition_date

),

daily as (

    select tenant_id, partition_date, objection, count(*) as calls_with_objection
    from objections
    group by tenant_id, partition_date, objection

),

-- Days without the objection count 0: a calendar window over the days present.
rolling as (

    select
        today.tenant_id,
        today.partition_date,
        today.objection,
        sum(earlier.calls_with_objection) as rolling_7d_calls
    from daily as today
    inner join daily as earlier
        on  earlier.tenant_id = today.tenant_id
        and earlier.objection = today.objection
        and earlier.partition_date <= today.partition_date
        and earlier.partition_date >= cast({{ dbt.dateadd('day', -6, 'today.partition_date') }} as date)
    group by today.tenant_id, today.partition_date, today.objection

),

final as (

    select
        -- keys
        daily.tenant_id,
        daily.partition_date,
        cast(daily.objection as varchar) as objection,

        -- that day
        cast(daily.calls_with_objection as bigint) as calls_with_objection,
        cast(analysed_per_day.analysed_calls as bigint) as analysed_calls,
        cast(
            cast(daily.calls_with_objection as double precision) / analysed_per_day.analysed_calls
        as double precision) as share_of_analysed_calls,

        -- the 7 days ending that day
        cast(rolling.rolling_7d_calls as bigint) as rolling_7d_calls

    from daily

    inner join analysed_per_day
        on  analysed_per_day.tenant_id = daily.tenant_id
        and analysed_per_day.partition_date = daily.partition_date

    inner join rolling
        on  rolling.tenant_id = daily.tenant_id
        and rolling.partition_date = daily.partition_date
        and rolling.objection = daily.objection

    -- the neighbours read for the window are not rebuilt, only the selected days and their next 6
    where {{ partition_window_filter(0, 6, 'daily.tenant_id', 'daily.partition_date') }}

)

select * from final
