"""Which environment callintel runs in, read from environment variables at call time.

Never read at import: tests and the demo set these variables before building definitions.
"""

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_TENANTS = REPO_ROOT / "demo" / "tenants.yaml"


@dataclass(frozen=True)
class Env:
    name: str  # local | test | prod
    home: Path  # CALLINTEL_HOME: DuckDB file, LanceDB, outbox
    tenants_path: Path  # CALLINTEL_TENANTS
    warehouse_url: str | None  # CALLINTEL_WAREHOUSE_URL (postgresql://...) or None for DuckDB
    s3_endpoint_url: str | None = None  # CALLINTEL_S3_ENDPOINT_URL: an S3-compatible store
    # CALLINTEL_SHARED_STORE: s3://bucket/prefix holding the vectors and the archived audio, so
    # any worker can run any step (lib/shared_store.py); None keeps both under `home`
    shared_store: str | None = None
    s3_region: str | None = None  # CALLINTEL_S3_REGION, else AWS_REGION / AWS_DEFAULT_REGION

    @property
    def duckdb_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def warehouse_location(self) -> str:
        """The warehouse URL outside a Dagster run: PostgreSQL when set, else the DuckDB file."""
        return self.warehouse_url or f"duckdb:///{self.duckdb_path}"

    @property
    def lancedb_path(self) -> Path:
        return self.home / "lancedb"

    @property
    def outbox_path(self) -> Path:
        return self.home / "outbox"


def current_env() -> Env:
    home = Path(os.environ.get("CALLINTEL_HOME") or ".callintel").resolve()
    return Env(
        name=os.environ.get("CALLINTEL_ENV", "local"),
        home=home,
        tenants_path=Path(os.environ.get("CALLINTEL_TENANTS") or DEMO_TENANTS).resolve(),
        warehouse_url=os.environ.get("CALLINTEL_WAREHOUSE_URL") or None,
        s3_endpoint_url=os.environ.get("CALLINTEL_S3_ENDPOINT_URL") or None,
        shared_store=os.environ.get("CALLINTEL_SHARED_STORE") or None,
        s3_region=os.environ.get("CALLINTEL_S3_REGION")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or None,
    )
