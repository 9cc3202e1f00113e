"""Bench data for the call explorer: a fresh warehouse with N calls for one tenant over ~90 days.

The demo's pipeline output (.callintel/ after `make demo`: records, transcripts, turns, signals,
analyses with analysis_json, objections) are the templates, replicated with numpy and pandas into
new calls (ids, days, times, agents, phones, scores redrawn; leads, answers, recordings, sync log,
AI usage to match) and written through Warehouse.write with the real table definitions; then
`dbt build` and a snapshot refresh, as after a run. A second tenant gets 1% of the calls.

    .venv/bin/python -m bench.explorer_data --home /tmp/xb              # 100,000 calls, DuckDB
    .venv/bin/python -m bench.explorer_data --home /tmp/xb --calls 1000 --postgres
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
import wave
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from callintel_dagster.env import REPO_ROOT
from callintel_dagster.lib.tables import ALL_TABLES
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse

BIG, SMALL = "bench_big", "bench_small"
TEMPLATES = REPO_ROOT / ".callintel" / "warehouse.snapshot.duckdb"
LAST_DAY = date(2026, 11, 26)
AGENTS = [f"{n} {s}" for n in ("Riya", "Liam", "Maya", "Kabir", "Zara") for s in "ABCD"]
TENANT_YAML = """  - {{id: {id}, name: {id}, timezone: {tz},
     calls: {{provider: synthetic, calls_per_day: 0}}, crm: {{provider: synthetic, leads_per_day: 1}},
     digest: {{provider: outbox, recipients: [{to}]}}}}
"""
# tenant -> (demo tenant whose calls are its templates, time zone, UTC offset in hours, recipient)
SOURCES = {
    BIG: ("acme_realty", "Asia/Kolkata", 5.5, '"+919812345678"'),
    SMALL: ("globex_support", "America/Los_Angeles", -8.0, '"+14155550100"'),
}
TABLES = {t.name: t for t in ALL_TABLES}
COPIED = ("call_records", "call_transcripts", "transcript_turns", "call_signals")
COPIED += ("call_analyses", "call_objections")  # the template tables
LLM = dict(provider="openai", model="gpt-4o-mini", cache_hit=False)  # priced as gpt-4o-mini
USAGE = dict(kind="llm", purpose="analysis", requests=1, retries=0, priced=True)
ANSWER = dict(kind="question", name="budget", question="Did the customer confirm a budget?")
RECORDING = dict(content_type="audio/wav", recording_status="archived")
LEAD = dict(provider="synthetic", phone_valid=True, extra_json='{"city": "Jaipur"}')
NOW = datetime(2026, 11, 27, 2, 0)  # when the bench's rows were "ingested"


def load_templates(path: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """Demo tenant -> table name -> its rows (read-only: a run may be refreshing the file)."""
    if not path.exists():
        sys.exit(f"{path}: no demo warehouse to copy call shapes from; run `make demo` first")
    sql = "SELECT * FROM {} WHERE tenant_id = ?"
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            src: {t: con.execute(sql.format(TABLES[t].qualified), [src]).df() for t in COPIED}
            for src, *_ in SOURCES.values()
        }


def _pick(rng, values: list, n: int) -> np.ndarray:
    return np.array(values)[rng.integers(0, len(values), n)]


def _spread(tpl: pd.DataFrame, key: pd.DataFrame) -> pd.DataFrame:
    """Each template row once per new call made from it (key: tpl_id, call_id, tenant, day)."""
    own = tpl.drop(columns=["tenant_id", "partition_date"]).rename(columns={"call_id": "tpl_id"})
    rows = key.merge(own, on="tpl_id").drop(columns="tpl_id")
    if "reason" in rows:  # reasons name the demo tenant and call: name the new ones
        src, new = tpl["tenant_id"].iloc[0], key["tenant_id"].iloc[0]
        rows["reason"] = rows["reason"].str.replace(src, new, regex=False)
    return rows


def _calls(tenant: str, n: int, days: int, tpl: dict, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(key: template call id -> new call id, tenant, day; the new call records)."""
    turns_of = tpl["call_transcripts"].set_index("call_id")["turn_count"]
    calls = tpl["call_records"].reset_index(drop=True)
    # long conversations (>= 9 turns, ~12 on average) for 80% of calls, the rest shorter/unanswered
    long = calls["call_id"].map(turns_of).fillna(0).to_numpy() >= 9
    weight = np.where(long, 0.8 / max(long.sum(), 1), 0.2 / max((~long).sum(), 1))
    calls = calls.iloc[rng.choice(len(calls), n, p=weight / weight.sum())].reset_index(drop=True)
    day_i = np.sort(rng.integers(0, days, n))
    day = pd.Series(pd.to_datetime(LAST_DAY) - pd.to_timedelta(days - 1 - day_i, unit="D"))
    seq = pd.Series(np.arange(n)).groupby(day_i).cumcount()
    call_id = f"{tenant}-C-" + day.dt.strftime("%Y%m%d") + "-" + seq.astype(str).str.zfill(6)
    local_s = rng.integers(9 * 3600, 20 * 3600, n)  # business hours; ids follow start time
    local_s = local_s[np.lexsort((local_s, day_i))]
    started = day + pd.to_timedelta(local_s - SOURCES[tenant][2] * 3600, unit="s")
    key = pd.DataFrame({"tpl_id": calls["call_id"], "call_id": call_id, "tenant_id": tenant})
    key["partition_date"] = day.dt.date
    ended = started + pd.to_timedelta(calls["duration_seconds"].fillna(0).to_numpy(), unit="s")
    calls = calls.assign(**key.drop(columns="tpl_id"), started_at_utc=started, ended_at_utc=ended)
    hashes = [f"{x:020x}" for x in rng.integers(0, 2**62, n)]
    calls = calls.assign(agent_name=_pick(rng, AGENTS, n), record_hash=hashes, ingested_at_utc=NOW)
    return key, calls


def _analyses(key: pd.DataFrame, tpl: dict, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the analyses with scores redrawn and an LLM's tokens and cost; their ai_usage rows)."""
    an = _spread(tpl["call_analyses"], key)
    ok, n = (an["analysis_status"] == "ok").to_numpy(), len(an)
    prompt = np.where(ok, rng.integers(900, 1800, n), 0)
    completion = np.where(ok, rng.integers(150, 400, n), 0)
    cost = (prompt * 0.15e-6 + completion * 0.6e-6).round(6)
    an = an.assign(prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost, **LLM)
    an["requests"] = ok.astype(int)
    an["quality_score"] = (an["quality_score"] + rng.normal(0, 9, n)).clip(0, 100).round(1)
    an["lead_score"] = (an["lead_score"] + rng.normal(0, 8, n)).clip(0, 100).round(0)
    usage = an[ok].rename(columns={"analysed_at_utc": "recorded_at_utc"})
    usage = usage.assign(usage_id=[uuid.uuid4().hex for _ in range(len(usage))], **USAGE)
    return an, usage


def make_tenant(tenant: str, n: int, days: int, tpl: dict, home: Path, rng) -> dict:
    """Table name -> rows for `n` calls of `tenant` over the `days` days ending LAST_DAY."""
    key, calls = _calls(tenant, n, days, tpl, rng)
    leads = _leads(tenant, max(n // 4, 10), key["partition_date"].unique(), rng)
    # 40% of callers are leads, the others new or returning numbers
    known = _pick(rng, list(leads["phone_e164"]), n)
    phones = np.where(rng.random(n) < 0.4, known, _phones(rng.integers(0, max(n // 2, 1), n)))
    calls = calls.assign(phone_raw=phones, phone_e164=phones, phone_valid=True)
    an, usage = _analyses(key, tpl, rng)
    out = {t: _spread(tpl[t], key) for t in COPIED[1:] if t != "call_analyses"}
    turns = out["transcript_turns"]
    said = turns[turns["role"] == "customer"].drop_duplicates("call_id")[["call_id", "text"]]
    answers = usage[["tenant_id", "partition_date", "call_id"]].merge(said, how="left")
    answers = answers.rename(columns={"text": "quote"}).assign(**ANSWER)
    answers["answer"] = _pick(rng, ["yes", "no", "unknown"], len(answers))
    out |= {"call_records": calls, "call_analyses": an, "call_answers": answers, "ai_usage": usage}
    out |= {"crm_leads": leads, "sync_log": _sync_log(calls, leads)}
    out["call_recordings"] = _recordings(calls, home, rng)
    return out


def _phones(numbers: np.ndarray) -> np.ndarray:
    return ("+9198" + pd.Series(numbers).astype(str).str.zfill(8)).to_numpy()


def _leads(tenant: str, n: int, days, rng) -> pd.DataFrame:
    """CRM leads created over the same days (columns left out are written as NULL)."""
    day = pd.Series(pd.to_datetime(_pick(rng, list(days), n)))
    created = day + pd.to_timedelta(rng.integers(8, 22, n) - SOURCES[tenant][2], unit="h")
    phones = _phones(rng.integers(10**7, 10**8, n))
    leads = pd.DataFrame({"lead_id": [f"{tenant}-L-{i:07d}" for i in range(n)], **LEAD})
    leads = leads.assign(tenant_id=tenant, partition_date=day.dt.date, created_date=day.dt.date)
    leads = leads.assign(phone_raw=phones, phone_e164=phones, ingested_at_utc=NOW)
    leads = leads.assign(created_at_utc=created, modified_at_utc=created, record_hash=phones)
    leads["full_name"] = _pick(rng, ["Anil Rao", "Ritu Shah", "Sam Lee", "Neha Iyer"], n)
    leads["lead_source"] = _pick(rng, ["website", "referral", "ads"], n)
    leads["lead_status"] = _pick(rng, ["new", "contacted", "qualified", "unqualified"], n)
    return leads


def _recordings(calls: pd.DataFrame, home: Path, rng) -> pd.DataFrame:
    """1% of completed calls have an archived recording: a real (silent) WAV in the archive."""
    has = calls[(calls["call_status"] == "completed") & (rng.random(len(calls)) < 0.01)]
    folder = home / "audio" / str(calls["tenant_id"].iloc[0])
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / "_sample.wav"), "wb") as w:
        w.setparams((1, 2, 8000, 4000, "NONE", "not compressed"))  # 0.5 s, 8 kHz mono
        w.writeframes(b"\0\0" * 4000)
    data = (folder / "_sample.wav").read_bytes()
    uris = [str(folder / f"{c}.wav") for c in has["call_id"]]
    for uri in uris:
        Path(uri).write_bytes(data)
    rows = has[["tenant_id", "partition_date", "call_id", "ended_at_utc"]].assign(**RECORDING)
    rows["location"] = "https://recordings.example/" + has["call_id"] + ".wav"
    rows = rows.assign(archive_uri=uris, bytes=len(data))
    return rows.rename(columns={"ended_at_utc": "archived_at_utc"})


def _sync_log(calls: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    day = ["tenant_id", "partition_date", "source"]
    log = pd.concat([calls.assign(source="call_records"), leads.assign(source="crm_leads")])
    log = log.groupby(day).size().rename("fetched").reset_index().assign(provider="synthetic")
    return log.assign(synced_at_utc=pd.to_datetime(log["partition_date"]) + pd.Timedelta("20h"))


def build_marts(warehouse: Warehouse, scratch: Path) -> None:
    """`dbt build` (models and their tests) over every tenant-day; target files kept apart."""
    from callintel_dagster.assets.metrics import dbt_env
    from callintel_dagster.dbt_project import DBT_PROJECT_DIR as DBT

    target = "postgres" if warehouse.is_postgres else "duckdb"
    args = [str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--target", target]
    args += ["--project-dir", str(DBT), "--profiles-dir", str(DBT)]
    args += ["--target-path", str(scratch / "dbt_target"), "--log-path", str(scratch / "dbt_logs")]
    env = os.environ | dbt_env(warehouse)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"dbt build failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")


def fresh_postgres() -> str:
    import psycopg2

    name = f"callintel_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    admin.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def build(home: Path, calls: int, days: int = 90, postgres: bool = False, log=print) -> dict:
    """Fill a fresh warehouse under `home`; the environment variables that find it."""
    home.mkdir(parents=True, exist_ok=True)
    tenants = "".join(TENANT_YAML.format(id=t, tz=s[1], to=s[3]) for t, s in SOURCES.items())
    (home / "tenants.yaml").write_text("tenants:\n" + tenants)
    url = fresh_postgres() if postgres else f"duckdb:///{home / 'warehouse.duckdb'}"
    warehouse = Warehouse(url=url)
    tpl, rng, began = load_templates(TEMPLATES), np.random.default_rng(calls), time.perf_counter()
    for tenant, n in ((BIG, calls), (SMALL, max(calls // 100, 50))):
        frames = make_tenant(tenant, n, days, tpl[SOURCES[tenant][0]], home, rng)
        slices = sorted({(tenant, d) for t in frames.values() for d in t["partition_date"]})
        warehouse.write([SliceWrite(TABLES[t], slices, rows) for t, rows in frames.items()])
        log(f"{tenant}: {n:,} calls written ({time.perf_counter() - began:.0f} s)")
    build_marts(warehouse, home)
    log(f"dbt build done ({time.perf_counter() - began:.0f} s)")
    if postgres:  # planner statistics, as autovacuum leaves them in steady state (else 3-10x)
        with warehouse.connect() as con:
            con.cursor().execute("ANALYZE")
    warehouse.refresh_snapshot()
    env = {"CALLINTEL_HOME": str(home), "CALLINTEL_TENANTS": str(home / "tenants.yaml")}
    return env | ({"CALLINTEL_WAREHOUSE_URL": url} if postgres else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a new folder (CALLINTEL_HOME)")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--postgres", action="store_true", help="a fresh database on :5432")
    args = parser.parse_args()
    if args.calls < 1 or args.days < 1:
        parser.error("--calls and --days must be >= 1")
    env = build(args.home, args.calls, args.days, args.postgres)
    print("\n".join(f"export {k}={v}" for k, v in env.items()))


if __name__ == "__main__":
    main()
