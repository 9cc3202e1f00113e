"""Bench data for the call explorer: a fresh warehouse with N calls for one tenant over ~90 days.

Every table the explorer reads gets realistic rows: the demo's own pipeline output
($CALLINTEL_HOME/warehouse.snapshot.duckdb after `make demo`: transcripts, turns, signals, rules
analyses with their analysis_json, objections) serves as templates, replicated with numpy and
pandas into new calls (ids, days, start times, agents, phones, scores redrawn), then written with
the real table definitions through Warehouse.write. dbt then builds the marts and the snapshot
is refreshed, as after a run. A small second tenant proves nothing leaks across tenants.

    .venv/bin/python -m bench.explorer_data --home /tmp/xb              # 100,000 calls, DuckDB
    .venv/bin/python -m bench.explorer_data --home /tmp/xb --calls 1000 --postgres
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
import wave
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from callintel_dagster.env import REPO_ROOT
from callintel_dagster.lib import tables as T
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse

BIG, SMALL = "bench_big", "bench_small"
TEMPLATES = REPO_ROOT / ".callintel" / "warehouse.snapshot.duckdb"
LAST_DAY = date(2026, 11, 26)
AGENTS = [f"{n} {s}" for n in ("Riya", "Liam", "Maya", "Kabir", "Zara") for s in "ABCD"]
TENANTS_YAML = """tenants:
  - id: {big}
    name: Bench Big
    timezone: Asia/Kolkata
    calls: {{provider: synthetic, calls_per_day: 0, seed: 1}}
    crm: {{provider: synthetic, leads_per_day: 1}}
    digest: {{provider: outbox, recipients: ["+919812345678"]}}
  - id: {small}
    name: Bench Small
    timezone: America/Los_Angeles
    calls: {{provider: synthetic, calls_per_day: 0, seed: 2}}
    crm: {{provider: synthetic, leads_per_day: 1}}
    digest: {{provider: outbox, recipients: ["+14155550100"]}}
"""
# tenant -> (demo tenant whose calls are its templates, UTC offset of its local day in hours)
SOURCES = {BIG: ("acme_realty", 5.5), SMALL: ("globex_support", -8.0)}
TEMPLATE_TABLES = {
    "calls": T.CALL_RECORDS,
    "transcripts": T.CALL_TRANSCRIPTS,
    "turns": T.TRANSCRIPT_TURNS,
    "signals": T.CALL_SIGNALS,
    "analyses": T.CALL_ANALYSES,
    "objections": T.CALL_OBJECTIONS,
}


@dataclass(frozen=True)
class BenchWarehouse:
    home: Path
    tenants_path: Path
    url: str
    calls: int  # the big tenant's

    def environ(self) -> dict[str, str]:
        """What `current_env()` needs to find this warehouse."""
        env = {"CALLINTEL_HOME": str(self.home), "CALLINTEL_TENANTS": str(self.tenants_path)}
        if self.url.startswith("postgresql://"):
            env["CALLINTEL_WAREHOUSE_URL"] = self.url
        return env


def load_templates(path: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """The demo's rows per demo tenant and table (read-only: a run may be writing the live file)."""
    if not path.exists():
        sys.exit(f"{path}: no demo warehouse to copy call shapes from; run `make demo` first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for src, _ in SOURCES.values():
            out[src] = {
                k: con.execute(f"SELECT * FROM {t.qualified} WHERE tenant_id = ?", [src]).df()
                for k, t in TEMPLATE_TABLES.items()
            }
        return out
    finally:
        con.close()


def _spread(tpl: pd.DataFrame, key: pd.DataFrame) -> pd.DataFrame:
    """Each template row once per new call made from it (key: tpl_id, call_id, tenant, day)."""
    rows = key.merge(
        tpl.drop(columns=["tenant_id", "partition_date"]),
        left_on="tpl_id",
        right_on="call_id",
        suffixes=("", "_tpl"),
    )
    if "reason" in rows:  # reasons name the demo tenant and call: name the new ones
        src, new = tpl["tenant_id"].iloc[0], key["tenant_id"].iloc[0]
        rows["reason"] = rows["reason"].str.replace(src, new, regex=False)
    return rows.drop(columns=["tpl_id", "call_id_tpl"])


def make_tenant(tenant: str, n: int, days: int, tpl: dict, home: Path, rng) -> dict:
    """Frames per table for `n` calls of `tenant` over the `days` days ending LAST_DAY."""
    offset_h = SOURCES[tenant][1]
    turns_of = tpl["transcripts"].set_index("call_id")["turn_count"]
    calls_t = tpl["calls"].reset_index(drop=True)
    # long conversations (>= 9 turns, ~12 on average) for connected calls, a fifth unanswered
    long = calls_t["call_id"].map(turns_of).fillna(0).to_numpy() >= 9
    weight = np.where(long, 0.8 / max(long.sum(), 1), 0.2 / max((~long).sum(), 1))
    pick = rng.choice(len(calls_t), n, p=weight / weight.sum())
    day_i = np.sort(rng.integers(0, days, n))
    day = pd.Series(pd.to_datetime(LAST_DAY) - pd.to_timedelta(days - 1 - day_i, unit="D"))
    seq = pd.Series(np.arange(n)).groupby(day_i).cumcount()
    call_id = f"{tenant}-C-" + day.dt.strftime("%Y%m%d") + "-" + seq.astype(str).str.zfill(6)
    local_s = rng.integers(9 * 3600, 20 * 3600, n)  # business hours; ids follow start time
    local_s = local_s[np.lexsort((local_s, day_i))]
    started = day + pd.to_timedelta(local_s - offset_h * 3600, unit="s")
    calls = calls_t.iloc[pick].reset_index(drop=True)
    key = pd.DataFrame(
        {
            "tpl_id": calls["call_id"],
            "call_id": call_id,
            "tenant_id": tenant,
            "partition_date": day.dt.date,
        }
    )
    leads = _leads(tenant, max(n // 4, 10), day.dt.date.unique(), offset_h, rng)
    known = rng.random(n) < 0.4  # a lead's number, else a new or returning caller
    phones = np.where(
        known,
        leads["phone_e164"].to_numpy()[rng.integers(0, len(leads), n)],
        _phones(rng.integers(0, max(n // 2, 1), n)),
    )
    dur = calls["duration_seconds"].fillna(0).to_numpy()
    calls = calls.assign(
        tenant_id=tenant,
        partition_date=key["partition_date"],
        call_id=call_id,
        agent_name=np.array(AGENTS)[rng.integers(0, len(AGENTS), n)],
        phone_raw=phones,
        phone_e164=phones,
        phone_valid=True,
        phone_issue=None,
        started_at_utc=started,
        ended_at_utc=started + pd.to_timedelta(dur, unit="s"),
        recording_url=None,
        record_hash=[uuid.UUID(int=int(x)).hex[:20] for x in rng.integers(0, 2**62, n)],
        ingested_at_utc=datetime(2026, 11, 27, 2, 0),
    )
    an = _spread(tpl["analyses"], key)
    ok = (an["analysis_status"] == "ok").to_numpy()
    prompt, completion = rng.integers(900, 1800, len(an)), rng.integers(150, 400, len(an))
    cost = np.where(ok, prompt * 0.15e-6 + completion * 0.6e-6, 0.0).round(6)
    an = an.assign(
        quality_score=(an["quality_score"] + rng.normal(0, 9, len(an))).clip(0, 100).round(1),
        lead_score=(an["lead_score"] + rng.normal(0, 8, len(an))).clip(0, 100).round(0),
        analysed_at_utc=started.to_numpy() + np.timedelta64(20, "m"),
        provider="openai",
        model="gpt-4o-mini",
        requests=ok.astype(int),
        prompt_tokens=np.where(ok, prompt, 0),
        completion_tokens=np.where(ok, completion, 0),
        cost_usd=cost,
        cache_hit=False,
    )
    usage = an.loc[
        ok,
        [
            "tenant_id",
            "partition_date",
            "call_id",
            "provider",
            "model",
            "prompt_tokens",
            "completion_tokens",
            "cost_usd",
            "analysed_at_utc",
        ],
    ]
    usage = usage.rename(columns={"analysed_at_utc": "recorded_at_utc"}).assign(
        usage_id=[uuid.uuid4().hex for _ in range(len(usage))],
        kind="llm",
        purpose="analysis",
        requests=1,
        retries=0,
        audio_seconds=None,
        priced=True,
    )
    turns = _spread(tpl["turns"], key)
    first_customer = turns[turns["role"] == "customer"].drop_duplicates("call_id")
    answers = an.loc[ok, ["tenant_id", "partition_date", "call_id"]].merge(
        first_customer[["call_id", "text"]].rename(columns={"text": "quote"}), how="left"
    )
    answers = answers.assign(
        kind="question",
        name="budget_confirmed",
        question="Did the customer confirm a budget?",
        answer=np.array(["yes", "no", "unknown"])[rng.integers(0, 3, len(answers))],
    )
    return {
        T.CALL_RECORDS: calls,
        T.CALL_TRANSCRIPTS: _spread(tpl["transcripts"], key),
        T.TRANSCRIPT_TURNS: turns,
        T.CALL_SIGNALS: _spread(tpl["signals"], key),
        T.CALL_ANALYSES: an,
        T.CALL_OBJECTIONS: _spread(tpl["objections"], key),
        T.CALL_ANSWERS: answers,
        T.AI_USAGE: usage,
        T.CRM_LEADS: leads,
        T.CALL_RECORDINGS: _recordings(calls, home, rng),
        T.SYNC_LOG: _sync_log(calls, leads),
    }


def _phones(numbers: np.ndarray) -> np.ndarray:
    return ("+9198" + pd.Series(numbers).astype(str).str.zfill(8)).to_numpy()


def _leads(tenant: str, n: int, days, offset_h: float, rng) -> pd.DataFrame:
    day = pd.Series(pd.to_datetime(np.array(days)[rng.integers(0, len(days), n)]))
    created = day + pd.to_timedelta(
        rng.integers(8 * 3600, 22 * 3600, n) - offset_h * 3600, unit="s"
    )
    phones = _phones(rng.integers(10**7, 10**8, n))
    return pd.DataFrame(
        {
            "tenant_id": tenant,
            "partition_date": day.dt.date,
            "lead_id": [f"{tenant}-L-{i:07d}" for i in range(n)],
            "provider": "synthetic",
            "full_name": np.array(["Anil Rao", "Ritu Shah", "Sam Lee", "Neha Iyer"])[
                rng.integers(0, 4, n)
            ],
            "phone_raw": phones,
            "phone_e164": phones,
            "phone_valid": True,
            "phone_issue": None,
            "email": None,
            "lead_source": np.array(["website", "referral", "ads"])[rng.integers(0, 3, n)],
            "lead_status": np.array(["new", "contacted", "qualified", "unqualified"])[
                rng.integers(0, 4, n)
            ],
            "created_at_utc": created,
            "created_date": day.dt.date,
            "modified_at_utc": created,
            "extra_json": json.dumps({"city": "Jaipur", "budget": 50000, "currency": "INR"}),
            "record_hash": [f"{x:020x}"[:20] for x in rng.integers(0, 2**62, n)],
            "repairs": None,
            "ingested_at_utc": datetime(2026, 11, 27, 2, 0),
        }
    )


def _recordings(calls: pd.DataFrame, home: Path, rng) -> pd.DataFrame:
    """1% of completed calls have an archived recording: a real (silent) WAV in the archive."""
    has = calls[(calls["call_status"] == "completed") & (rng.random(len(calls)) < 0.01)]
    folder = home / "audio" / str(calls["tenant_id"].iloc[0])
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / "_sample.wav"
    with wave.open(str(sample), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 4000)
    data = sample.read_bytes()
    uris = [str(folder / f"{c}.wav") for c in has["call_id"]]
    for uri in uris:
        Path(uri).write_bytes(data)
    return has[["tenant_id", "partition_date", "call_id"]].assign(
        location="https://recordings.example/" + has["call_id"] + ".wav",
        archive_uri=uris,
        bytes=len(data),
        sha256=None,
        content_type="audio/wav",
        recording_status="archived",
        reason=None,
        archived_at_utc=has["ended_at_utc"],
    )


def _sync_log(calls: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    out = []
    for source, frame in (("call_records", calls), ("crm_leads", leads)):
        per_day = frame.groupby(["tenant_id", "partition_date"]).size().rename("fetched")
        out.append(per_day.reset_index().assign(source=source, provider="synthetic"))
    log = pd.concat(out, ignore_index=True)
    return log.assign(synced_at_utc=pd.to_datetime(log["partition_date"]) + pd.Timedelta("20h"))


def build_marts(warehouse: Warehouse, scratch: Path) -> None:
    """`dbt build` (models and their tests) over every tenant-day; target files kept apart."""
    from callintel_dagster.assets.metrics import dbt_env
    from callintel_dagster.dbt_project import DBT_PROJECT_DIR

    target = "postgres" if warehouse.is_postgres else "duckdb"
    dbt = Path(sys.executable).parent / "dbt"
    args = [
        str(dbt),
        "build",
        "--quiet",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        target,
        "--target-path",
        str(scratch / "dbt_target"),
        "--log-path",
        str(scratch / "dbt_logs"),
    ]
    done = subprocess.run(
        args, env=os.environ | dbt_env(warehouse), capture_output=True, text=True, check=False
    )
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


def build(
    home: Path,
    calls: int,
    days: int = 90,
    postgres: bool = False,
    templates: Path = TEMPLATES,
    log=print,
) -> BenchWarehouse:
    """Fill a fresh warehouse under `home`; returns where it is. Prints timings via `log`."""
    home.mkdir(parents=True, exist_ok=True)
    tenants_path = home / "tenants.yaml"
    tenants_path.write_text(TENANTS_YAML.format(big=BIG, small=SMALL))
    url = fresh_postgres() if postgres else f"duckdb:///{home / 'warehouse.duckdb'}"
    warehouse = Warehouse(url=url)
    tpl, rng = load_templates(templates), np.random.default_rng(calls)
    began = time.perf_counter()
    for tenant, n in ((BIG, calls), (SMALL, max(calls // 100, 50))):
        frames = make_tenant(tenant, n, days, tpl[SOURCES[tenant][0]], home, rng)
        slices = sorted({(tenant, d) for t in frames.values() for d in t["partition_date"]})
        warehouse.write([SliceWrite(table, slices, rows) for table, rows in frames.items()])
        log(
            f"{tenant}: {n:,} calls, {len(frames[T.TRANSCRIPT_TURNS]):,} turns written "
            f"({time.perf_counter() - began:.0f} s)"
        )
    build_marts(warehouse, home)
    log(f"dbt build done ({time.perf_counter() - began:.0f} s)")
    warehouse.refresh_snapshot()
    return BenchWarehouse(home, tenants_path, url, calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a new folder (CALLINTEL_HOME)")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--postgres", action="store_true", help="a fresh database on :5432")
    parser.add_argument("--templates", type=Path, default=TEMPLATES)
    args = parser.parse_args()
    if args.calls < 1 or args.days < 1:
        parser.error("--calls and --days must be >= 1")
    made = build(args.home, args.calls, args.days, args.postgres, args.templates)
    print("\n".join(f"export {k}={v}" for k, v in made.environ().items()))


if __name__ == "__main__":
    main()
