"""Check that two versions of the dbt project build the same marts, row for row.

A change meant to make the marts faster must not change them. This builds a small synthetic
warehouse (bench/dbt_scale_data.py) twice, once with each project, and compares every table and
view of the `marts` schema both ways with EXCEPT ALL:

  1. after a first build;
  2. after an incremental run (the `partitions` var) selecting a new day for every tenant and an
     old tenant-day changed in every way a re-sync can change it: calls moved to another number or
     to an invalid one, calls removed, analyses and objections rewritten, leads edited (status,
     number) so their rows move to the selected day.

    .venv/bin/python -m bench.dbt_compare --old-rev e0939d0   # that commit's dbt_metrics vs now

Exits non-zero when a mart differs. Doubles are compared rounded to 9 decimals: an average summed
in another order may differ in its last bits.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.dbt_scale import DBT, FIRST_DAY, ROOT, warehouse
from bench.dbt_scale_data import generate_day_range

CHANGED_TENANT, CHANGED_DAY = "t001", 5

# The same edits on both warehouses: every kind of change a re-sync of an old tenant-day can make.
CHANGES = """
UPDATE raw.call_records SET phone_raw = '+91 9800000001', phone_e164 = '+919800000001'
WHERE tenant_id = '{t}' AND partition_date = DATE '{d}' AND hash(call_id) % 7 = 0;
UPDATE raw.call_records SET phone_raw = 'n/a', phone_e164 = NULL, phone_valid = false,
    phone_issue = 'not_a_number'
WHERE tenant_id = '{t}' AND partition_date = DATE '{d}' AND hash(call_id) % 7 = 1;
CREATE TEMP TABLE gone AS SELECT tenant_id, partition_date, call_id FROM raw.call_records
WHERE tenant_id = '{t}' AND partition_date = DATE '{d}' AND hash(call_id) % 7 = 2;
DELETE FROM raw.call_records WHERE (tenant_id, call_id) IN (SELECT tenant_id, call_id FROM gone);
DELETE FROM core.call_transcripts WHERE (tenant_id, call_id) IN (SELECT tenant_id, call_id FROM gone);
DELETE FROM core.call_signals WHERE (tenant_id, call_id) IN (SELECT tenant_id, call_id FROM gone);
DELETE FROM core.call_analyses WHERE (tenant_id, call_id) IN (SELECT tenant_id, call_id FROM gone);
DELETE FROM core.call_objections WHERE (tenant_id, call_id) IN (SELECT tenant_id, call_id FROM gone);
UPDATE core.call_analyses SET contact_tag = 'purchased', lead_status = 'booked', quality_score = 99
WHERE tenant_id = '{t}' AND partition_date = DATE '{d}' AND analysis_status = 'ok'
  AND hash(call_id) % 7 = 3;
DELETE FROM core.call_objections
WHERE tenant_id = '{t}' AND partition_date = DATE '{d}' AND hash(call_id) % 7 = 4;
INSERT OR IGNORE INTO core.call_objections BY NAME
SELECT tenant_id, partition_date, call_id, 'trust' AS objection FROM core.call_analyses
WHERE tenant_id = '{t}' AND partition_date = DATE '{d}' AND analysis_status = 'ok'
  AND hash(call_id) % 7 = 5;
UPDATE raw.crm_leads SET partition_date = DATE '{d}', lead_status = 'Won',
    phone_raw = '098 0000 0002', phone_e164 = '+919800000002'
WHERE tenant_id = '{t}' AND partition_date <> DATE '{d}' AND hash(lead_id) % 10 = 0;
UPDATE raw.crm_leads SET partition_date = DATE '{d}', full_name = 'Renamed'
WHERE tenant_id = '{t}' AND partition_date <> DATE '{d}' AND hash(lead_id) % 10 = 1;
"""


def build(project: Path, path: Path, work: Path, partitions: list[dict] | None = None) -> float:
    """`dbt build` of `project` on the warehouse at `path` (as bench/dbt_scale.py runs it)."""
    args = [str(DBT), "build", "--profiles-dir", str(project), "--project-dir", str(project)]
    args += ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    args += ["--vars", json.dumps({"partitions": partitions or []})]
    env = {**os.environ, "CALLINTEL_DUCKDB_PATH": str(path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=project, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"dbt build of {project} failed:\n{done.stdout[-4000:]}")
    return time.perf_counter() - started


def snapshot(path: Path, into: Path, prefix: str) -> set[str]:
    """Copy every mart of the warehouse at `path` into `into` as <prefix>_<mart>; their names.

    Intermediate models (int_*, in the marts schema) are steps, not marts: not compared."""
    with duckdb.connect(str(path)) as con:
        marts = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
                " AND table_name NOT LIKE 'int\\_%' ESCAPE '\\'"
            ).fetchall()
        ]
        con.execute(f"ATTACH '{into}' AS cmp")
        for mart in marts:
            cols = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
                [mart],
            ).fetchall()
            select = ", ".join(
                f'round("{c}", 9) AS "{c}"' if t in ("DOUBLE", "FLOAT") else f'"{c}"'
                for c, t in cols
            )
            con.execute(f"CREATE TABLE cmp.{prefix}_{mart} AS SELECT {select} FROM marts.{mart}")
    return set(marts)


def compare(old: Path, new: Path, work: Path, stage: str) -> bool:
    cmp = work / f"cmp-{stage}.duckdb"
    old_marts, new_marts = snapshot(old, cmp, "old"), snapshot(new, cmp, "new")
    same = old_marts == new_marts
    if not same:
        print(
            f"  {stage}: marts differ: old only {old_marts - new_marts}, new only "
            f"{new_marts - old_marts}"
        )
    with duckdb.connect(str(cmp)) as con:
        for mart in sorted(old_marts & new_marts):
            rows = con.execute(f"SELECT count(*) FROM old_{mart}").fetchone()[0]
            missing, extra = (
                con.execute(
                    f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})"
                ).fetchone()[0]
                for a, b in ((f"old_{mart}", f"new_{mart}"), (f"new_{mart}", f"old_{mart}"))
            )
            ok = missing == 0 and extra == 0
            same = same and ok
            print(
                f"  {stage:<12}{mart:<26}{rows:>9} rows  "
                + ("same" if ok else f"DIFFER: {missing} only in old, {extra} only in new")
            )
    return same


def change(path: Path, tenants: int, days: int, per_day: int) -> None:
    """A new day for every tenant, and the old tenant-day CHANGED_* changed in every way."""
    day = (FIRST_DAY.fromordinal(FIRST_DAY.toordinal() + CHANGED_DAY)).isoformat()
    with duckdb.connect(str(path)) as con:
        generate_day_range(con, tenants, days, days + 1, per_day, FIRST_DAY)
        for statement in CHANGES.format(t=CHANGED_TENANT, d=day).strip().split(";\n"):
            con.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-rev", default="HEAD", help="git revision of the old dbt_metrics")
    parser.add_argument("--new", type=Path, default=ROOT / "dbt_metrics", help="the new project")
    parser.add_argument("--tenants", type=int, default=12)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--per-day", type=int, default=200, help="calls per tenant-day")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dbt-compare-") as tmp:
        work = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", opts.old_rev, "dbt_metrics"],
            capture_output=True,
            check=True,
        ).stdout
        (work / "old").mkdir()
        subprocess.run(["tar", "-x", "-C", str(work / "old")], input=archive, check=True)
        # a copy of the new project too: edits to the tree during the run do not leak into it
        shutil.copytree(
            opts.new, work / "new" / "dbt_metrics", ignore=shutil.ignore_patterns("target", "logs")
        )
        projects = {name: work / name / "dbt_metrics" for name in ("old", "new")}
        paths = {}
        for name in projects:  # the same file name: dbt-duckdb names the catalog after it
            (work / name / "wh").mkdir(parents=True)
            paths[name] = work / name / "wh" / "warehouse.duckdb"
            warehouse(paths[name])
            with duckdb.connect(str(paths[name])) as con:
                generate_day_range(con, opts.tenants, 0, opts.days, opts.per_day, FIRST_DAY)
        for name, project in projects.items():
            print(f"first build, {name}: {build(project, paths[name], work / name):.1f} s")
        same = compare(paths["old"], paths["new"], work, "first")
        selected = [
            {
                "tenant_id": f"t{t:03d}",
                "partition_date": FIRST_DAY.fromordinal(
                    FIRST_DAY.toordinal() + opts.days
                ).isoformat(),
            }
            for t in range(opts.tenants)
        ] + [
            {
                "tenant_id": CHANGED_TENANT,
                "partition_date": FIRST_DAY.fromordinal(
                    FIRST_DAY.toordinal() + CHANGED_DAY
                ).isoformat(),
            }
        ]
        for name, project in projects.items():
            change(paths[name], opts.tenants, opts.days, opts.per_day)
            took = build(project, paths[name], work / name, selected)
            print(f"incremental, {name}: {took:.1f} s")
        same = compare(paths["old"], paths["new"], work, "incremental") and same
    print("all marts the same" if same else "MARTS DIFFER")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
