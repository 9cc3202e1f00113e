"""`make demo`'s program, end to end: progress, per-tenant report, and idempotent re-runs."""

import re
import subprocess
import sys
from collections import Counter
from datetime import date

from callintel_dagster.lib.tenants.registry import load_registry
from callintel_dagster.resources.warehouse import Warehouse
from conftest import TENANTS_YAML
from tests.privacy_pipeline.pii_canaries import canaries, hits, lance_texts, spoken

PRIVACY = re.compile(
    r"privacy \(mask\): (\d+) entities redacted in (\d+) of (\d+) calls \(([^)]*)\); "
    r"raw transcripts not kept"
)


def run_demo() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "callintel_dagster.cli.demo", "--days", "3"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_demo_twice_prints_the_same_counts(callintel_env, monkeypatch, tmp_path):
    small = TENANTS_YAML.replace("calls_per_day: 30", "calls_per_day: 6").replace(
        "calls_per_day: 20", "calls_per_day: 4"
    )
    callintel_env.tenants_path.write_text(small)  # same tenants, fewer calls: a quicker test
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    # as `make demo` runs it: its own process, its own Dagster instance under DAGSTER_HOME
    first, second = run_demo(), run_demo()

    assert "2 tenants × 3 days" in first
    assert re.search(r"ok\s+transcript_embeddings", first), "one progress line per step"
    for name in ("Acme Realty", "Globex Support"):
        assert f"== {name}" in first
    assert "digest for" in first and "Calls " in first
    assert f"warehouse: {callintel_env.duckdb_path}" in first

    counts = re.compile(
        r"leads \d+ · calls \d+ · contacts \d+ · analysed \d+ · skipped \d+ · failed \d+"
    )
    assert counts.findall(first) == counts.findall(second) and len(counts.findall(first)) == 2
    fidelity = re.compile(r"calls linked to a lead \d+ · notes written back \d+ · .*quarantined 0")
    assert fidelity.findall(first) == fidelity.findall(second) and len(fidelity.findall(first)) == 2
    calls = [int(n) for n in re.findall(r"· calls (\d+) ·", first)]
    assert calls == [3 * 6, 3 * 4]
    assert PRIVACY.findall(first) == PRIVACY.findall(second)
    check_privacy(callintel_env, PRIVACY.findall(first))


def check_privacy(env, lines: list[tuple[str, ...]]) -> None:
    """Each tenant's privacy line counts exactly what its synthetic calls spoke, and none of the
    spoken values (as written or as said) reached the vectors."""
    warehouse = Warehouse(url=f"duckdb:///{env.duckdb_path}")
    found = {}
    for tenant, (total, calls, of, kinds) in zip(
        load_registry(env.tenants_path).active, lines, strict=True
    ):
        days = [
            date.fromisoformat(d)
            for d in warehouse.query(
                "SELECT DISTINCT CAST(partition_date AS VARCHAR) AS d FROM raw.call_records "
                "WHERE tenant_id = ?",
                [tenant.id],
            )["d"]
        ]
        said = {c: v for d in days for c, v in spoken(tenant, d).items()}
        counts = Counter(entity for values in said.values() for entity, _, _ in values)
        expected = ", ".join(f"{e} {n}" for e, n in sorted(counts.items())) or "none found"
        assert (int(total), int(calls), kinds) == (counts.total(), len(said), expected)
        assert int(of) == 3 * (6 if tenant.id == "acme" else 4)
        for day in days:
            found |= canaries(tenant, day)
    texts = list(lance_texts(env.lancedb_path))
    assert texts and hits(texts, found) == []
