"""The personal data a synthetic tenant-day speaks, as canaries, and a scan that names hits by
entity and call only (a failing test must not print the values it protects)."""

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from callintel_dagster.lib.synthetic import generate_day
from callintel_dagster.lib.synthetic.base import market_for
from callintel_dagster.lib.synthetic.pii import spoken_pii
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.lib.tenants.source_configs import SyntheticCrm


def canaries(tenant: Tenant, day: date) -> dict[str, tuple[str, str]]:
    """{canary text: (entity, call_id)}: each value as written and as spoken."""
    return {
        text: (entity, call_id)
        for call_id, said in spoken(tenant, day).items()
        for entity, value, as_spoken in said
        for text in (value, as_spoken)
    }


def spoken(tenant: Tenant, day: date) -> dict[str, list[tuple[str, str, str]]]:
    """{call_id: [(entity, value, as spoken)]} for the calls of the day that speak PII."""
    cfg, crm = tenant.calls, tenant.crm
    calls = generate_day(
        tenant.id,
        day,
        tenant.timezone,
        calls_per_day=cfg.calls_per_day,
        leads_per_day=crm.leads_per_day if isinstance(crm, SyntheticCrm) else 0,
        seed=cfg.seed,
    ).calls
    market = market_for(tenant.timezone)
    said = {call["call_id"]: spoken_pii(call, cfg.seed, market) for call in calls}
    return {call_id: values for call_id, values in said.items() if values}


def hits(texts: Iterable[tuple[str, str]], pii: dict[str, tuple[str, str]]) -> list[str]:
    """`where: ENTITY in call_id` for every canary found in a (where, text) pair."""
    return [
        f"{where}: {entity} of {call_id}"
        for where, text in texts
        for canary, (entity, call_id) in pii.items()
        if canary in text
    ]


def lance_texts(root: Path) -> Iterable[tuple[str, str]]:
    """Every file of a LanceDB folder as bytes decoded leniently (strings survive), and every
    string column of every table read through LanceDB (in case a file is compressed)."""
    import lancedb

    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield str(path.relative_to(root)), path.read_bytes().decode("utf-8", "replace")
    db = lancedb.connect(str(root))
    names, page = [], None
    while True:  # list_tables pages its answer
        listed = db.list_tables(page_token=page)
        names += listed.tables
        if not (page := listed.page_token):
            break
    for name in names:
        table = db.open_table(name).to_arrow()
        for column in table.column_names:
            if str(table.schema.field(column).type) in ("string", "large_string"):
                values = table.column(column).to_pylist()
                yield f"{name}.{column}", "\n".join(v for v in values if v)
