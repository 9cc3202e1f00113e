"""A tenant's dashboard for a range of its local days: daily KPIs, the agent leaderboard,
objections, the lead funnel and how fresh the data is.

Nothing here lags: every figure is computed from the raw and core tables, which the 5-minute
processing path writes without running dbt (the marts are rebuilt by the daily run only). The
definitions are the marts' own, written once below: a call is connected as in
`fct_calls.is_connected`, booked as in `kpi_tenant_daily.booked`, and the funnel's stages as in
`lead_funnel_daily`. One difference by design: over a range of days the funnel counts each lead
once (distinct over the range), where the mart counts it once per day.
"""

from datetime import UTC, date, datetime
from typing import Any

from callintel_dagster.explorer.reader import Reader

# fct_calls.is_connected
CONNECTED = "(c.call_status = 'completed' AND COALESCE(c.duration_seconds, 0) > 0)"
# kpi_tenant_daily.booked / agent_scorecard_daily.booked_calls: the analysis' lead_status
BOOKED = "(a.lead_status = 'booked')"
# lead_funnel_daily: qualified and booked leads
FUNNEL_QUALIFIED = (
    f"({CONNECTED} AND (a.bant_qualified OR a.lead_status IN ('qualified', 'booked', 'purchased')))"
)
FUNNEL_BOOKED = "(a.lead_status IN ('booked', 'purchased'))"
# stg_crm_deals.is_won (the LIKE patterns are parameters: won, then lost)
DEAL_WON = "(lower(coalesce(stage, '')) LIKE ? AND lower(coalesce(stage, '')) NOT LIKE ?)"
AGENT = "COALESCE(NULLIF(TRIM(c.agent_name), ''), 'unknown')"  # agent_scorecard_daily.agent

CALLS = """FROM raw.call_records c
LEFT JOIN core.call_analyses a
  ON a.tenant_id = ? AND a.partition_date = c.partition_date AND a.call_id = c.call_id
WHERE c.tenant_id = ?"""
CALL_FIGURES = f"""count(*) AS calls,
  count(CASE WHEN {CONNECTED} THEN 1 END) AS connected,
  COALESCE(sum(CASE WHEN {CONNECTED} THEN c.duration_seconds END), 0) / 60.0 AS talk_minutes,
  avg(a.quality_score) AS avg_quality,
  count(CASE WHEN {BOOKED} THEN 1 END) AS booked"""
SENTIMENTS = ("positive", "neutral", "negative")
FUNNEL = ("new", "contacted", "connected", "qualified", "booked", "won")


def _range(column: str, day_from: date | None, day_to: date | None) -> tuple[str, list]:
    sql, params = "", []
    if day_from:
        sql, params = f" AND {column} >= ?", [day_from]
    if day_to:
        sql, params = sql + f" AND {column} <= ?", [*params, day_to]
    return sql, params


def dashboard(
    reader: Reader,
    tenant_id: str,
    day_from: date | None,
    day_to: date | None,
    now: datetime | None = None,
) -> dict:
    """days, leaderboard, objections, funnel, freshness (see the module docstring); a bound
    left None is open."""
    figures = _figures(reader, tenant_id, day_from, day_to)
    return {
        "days": _days(reader, tenant_id, day_from, day_to, figures),
        "leaderboard": _leaderboard(figures),
        "objections": _objections(reader, tenant_id, day_from, day_to),
        "funnel": _funnel(reader, tenant_id, day_from, day_to),
        "freshness": _freshness(reader, tenant_id, now),
    }


def _figures(reader: Reader, tenant_id: str, day_from: date | None, day_to: date | None):
    """The call figures per day and per agent in one pass (a day row has no agent_name, an
    agent row no day)."""
    where, bounds = _range("c.partition_date", day_from, day_to)
    sentiment = ", ".join(
        f"count(CASE WHEN a.sentiment_label = '{s}' THEN 1 END) AS {s}" for s in SENTIMENTS
    )
    rows = reader.rows(
        f"SELECT c.partition_date AS day, {AGENT} AS agent_name, {CALL_FIGURES}, {sentiment} "
        f"{CALLS}{where} GROUP BY GROUPING SETS ((c.partition_date), ({AGENT}))",
        [tenant_id, tenant_id, *bounds],
    )
    for r in rows:
        r.update({k: int(r[k]) for k in ("calls", "connected", "booked", *SENTIMENTS)})
        r["talk_minutes"] = float(r["talk_minutes"] or 0)
    return rows


def _days(
    reader: Reader, tenant_id: str, day_from: date | None, day_to: date | None, figures: list
) -> list:
    """One row per day with calls or a sync (a synced day without calls shows zeros)."""
    where, bounds = _range("partition_date", day_from, day_to)
    synced = reader.rows(
        f"SELECT DISTINCT partition_date AS day FROM raw.sync_log WHERE tenant_id = ?{where}",
        [tenant_id, *bounds],
    )
    cost = reader.rows(
        "SELECT partition_date AS day, sum(cost_usd) AS ai_cost_usd FROM core.ai_usage "
        f"WHERE tenant_id = ?{where} GROUP BY partition_date",
        [tenant_id, *bounds],
    )
    zero = dict.fromkeys(("calls", "connected", "booked", *SENTIMENTS), 0)
    by_day: dict[date, dict[str, Any]] = {
        r["day"]: {"day": r["day"], **zero, "talk_minutes": 0.0, "avg_quality": None}
        for r in synced + cost
    }
    for r in figures:
        if r["agent_name"] is None:
            by_day[r["day"]] = {k: v for k, v in r.items() if k != "agent_name"}
    costs = {r["day"]: float(r["ai_cost_usd"] or 0) for r in cost}
    for day, row in by_day.items():
        row["connected_rate"] = row["connected"] / row["calls"] if row["calls"] else None
        row["ai_cost_usd"] = costs.get(day, 0.0)
    return [by_day[d] for d in sorted(by_day)]


def _leaderboard(figures: list) -> list:
    keep = ("agent_name", "calls", "connected", "avg_quality", "booked", "talk_minutes")
    rows = [{k: r[k] for k in keep} for r in figures if r["agent_name"] is not None]
    return sorted(rows, key=lambda r: (-r["booked"], -r["connected"], -r["calls"], r["agent_name"]))


def _objections(reader: Reader, tenant_id: str, day_from: date | None, day_to: date | None):
    """Calls analysed ok that raised each objection, per day (objection_trends_daily)."""
    where, bounds = _range("o.partition_date", day_from, day_to)
    rows = reader.rows(
        "SELECT o.partition_date AS day, o.objection, count(DISTINCT o.call_id) AS count "
        "FROM core.call_objections o JOIN core.call_analyses a ON a.tenant_id = ? "
        "AND a.partition_date = o.partition_date AND a.call_id = o.call_id "
        f"AND a.analysis_status = 'ok' WHERE o.tenant_id = ?{where} "
        "GROUP BY o.partition_date, o.objection ORDER BY o.partition_date, count DESC, o.objection",
        [tenant_id, tenant_id, *bounds],
    )
    return [r | {"count": int(r["count"])} for r in rows]


def _funnel(reader: Reader, tenant_id: str, day_from: date | None, day_to: date | None):
    """Leads at each stage: created in the range (new), reached by the range's calls through
    their normalised number (contacted ... booked), deals won in the range."""
    created, created_bounds = _range("created_date", day_from, day_to)
    new = reader.rows(
        "SELECT count(DISTINCT lead_id) AS n FROM raw.crm_leads "
        f"WHERE tenant_id = ? AND created_date IS NOT NULL{created}",
        [tenant_id, *created_bounds],
    )[0]["n"]
    where, bounds = _range("c.partition_date", day_from, day_to)
    # one lead per number (fct_calls.lead_id): each called lead's furthest stage, then counts
    reached = ", ".join(
        f"max(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {stage}"
        for stage, cond in (
            ("connected", CONNECTED),
            ("qualified", FUNNEL_QUALIFIED),
            ("booked", FUNNEL_BOOKED),
        )
    )
    called = reader.rows(
        "SELECT count(*) AS contacted, sum(connected) AS connected, "
        "sum(qualified) AS qualified, sum(booked) AS booked "
        f"FROM (SELECT c.phone_e164, {reached} {CALLS}{where} AND c.phone_e164 IN "
        "(SELECT phone_e164 FROM raw.crm_leads WHERE tenant_id = ? AND phone_e164 IS NOT NULL) "
        "GROUP BY c.phone_e164) reached",
        [tenant_id, tenant_id, *bounds, tenant_id],
    )[0]
    where, bounds = _range("partition_date", day_from, day_to)
    won = reader.rows(
        f"SELECT count(*) AS n FROM raw.crm_deals WHERE tenant_id = ?{where} AND {DEAL_WON}",
        [tenant_id, *bounds, "%won%", "%lost%"],
    )[0]["n"]
    counts = {"new": new, **called, "won": won}
    return [{"stage": stage, "count": int(counts[stage] or 0)} for stage in FUNNEL]


def _freshness(reader: Reader, tenant_id: str, now: datetime | None) -> dict:
    """last_sync_utc: the tenant's newest sync; last_success_utc: the newest call analysed ok
    (the last time a call went all the way through); lag_minutes: minutes since that sync."""
    row = reader.rows(
        "SELECT (SELECT max(synced_at_utc) FROM raw.sync_log WHERE tenant_id = ?) AS last_sync, "
        "(SELECT max(analysed_at_utc) FROM core.call_analyses WHERE tenant_id = ? "
        "AND analysis_status = 'ok') AS last_success",
        [tenant_id, tenant_id],
    )[0]
    now = now or datetime.now(UTC).replace(tzinfo=None)  # stored timestamps: naive UTC
    last_sync = row["last_sync"]
    lag = None if last_sync is None else max(0, int((now - last_sync).total_seconds() // 60))
    return {
        "last_sync_utc": last_sync,
        "last_success_utc": row["last_success"],
        "lag_minutes": lag,
    }
