"""Shared state on S3-compatible storage: where the vectors (LanceDB) and the archived audio live
when `CALLINTEL_SHARED_STORE=s3://bucket/prefix` is set, so that any worker can run any step.

Layout under `s3://<bucket>/<prefix>/` (tenant id first under each kind, never shared):
  lancedb/chunks_<tenant>.lance/...   one LanceDB table per tenant (search/index.py)
  audio/<tenant>/<call_id><ext>        each archived recording (providers/audio_store.py)

Unset, both stay under CALLINTEL_HOME exactly as before. Credentials are never configuration:
boto3 and LanceDB each read the standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN) or the host's role themselves, so no key passes through our code or logs.
`CALLINTEL_S3_ENDPOINT_URL` points both at an S3-compatible store (MinIO, moto).
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from callintel_dagster.env import Env

# S3's bucket naming rules (lower case, 3-63 characters); a prefix is plain path segments
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
SEGMENT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class SharedStoreError(ValueError):
    """CALLINTEL_SHARED_STORE is not an s3://bucket/prefix location: the reason, one line."""


@dataclass(frozen=True)
class SharedStore:
    bucket: str
    prefix: str  # "" or segments joined by "/", no leading or trailing slash
    endpoint_url: str | None = None
    region: str | None = None

    @classmethod
    def parse(
        cls, uri: str, endpoint_url: str | None = None, region: str | None = None
    ) -> "SharedStore":
        parts = urlsplit(uri.strip())
        if parts.scheme != "s3" or not parts.netloc:
            raise SharedStoreError(f"CALLINTEL_SHARED_STORE={uri!r}: expected s3://bucket/prefix")
        if parts.query or parts.fragment or "@" in parts.netloc:
            raise SharedStoreError(
                f"CALLINTEL_SHARED_STORE={uri!r}: no query, fragment or credentials in the URI "
                "(keys come from the AWS_* variables)"
            )
        if not BUCKET_PATTERN.fullmatch(parts.netloc):
            raise SharedStoreError(f"CALLINTEL_SHARED_STORE: {parts.netloc!r} is no bucket name")
        segments = [s for s in parts.path.split("/") if s]
        bad = [s for s in segments if not SEGMENT_PATTERN.fullmatch(s) or set(s) == {"."}]
        if bad:
            raise SharedStoreError(f"CALLINTEL_SHARED_STORE: prefix segment {bad[0]!r} refused")
        return cls(parts.netloc, "/".join(segments), endpoint_url, region)

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def uri(self, *parts: str) -> str:
        return f"s3://{self.bucket}/{self.key(*parts)}"

    @property
    def lancedb_uri(self) -> str:
        return self.uri("lancedb")

    @property
    def audio_prefix(self) -> str:
        return self.key("audio")

    def lancedb_options(self) -> dict[str, str]:
        """LanceDB's `storage_options` (lancedb 0.40 names): where the store is, never a key."""
        options: dict[str, str] = {}
        if self.endpoint_url:
            options["endpoint"] = self.endpoint_url
            if self.endpoint_url.startswith("http://"):  # MinIO or moto without TLS
                options["allow_http"] = "true"
        if self.region:
            options["region"] = self.region
        return options


def shared_store_of(env: Env) -> SharedStore | None:
    """The configured shared store; None when CALLINTEL_SHARED_STORE is unset."""
    if not env.shared_store:
        return None
    return SharedStore.parse(env.shared_store, env.s3_endpoint_url, env.s3_region)


def vector_location(env: Env) -> tuple[str, dict[str, str]]:
    """(LanceDB URI, storage options): every reader and writer of the search index opens this."""
    store = shared_store_of(env)
    if store is None:
        return str(env.lancedb_path), {}
    return store.lancedb_uri, store.lancedb_options()


def audio_archive_settings(env: Env) -> dict:
    """AudioStore / AudioArchive keyword arguments: the bucket and prefix recordings are archived
    under when a shared store is set; otherwise only the endpoint for S3 recording sources."""
    store = shared_store_of(env)
    if store is None:
        return {"s3_endpoint_url": env.s3_endpoint_url}
    return {
        "s3_endpoint_url": env.s3_endpoint_url,
        "s3_region": store.region,
        "archive_bucket": store.bucket,
        "archive_prefix": store.audio_prefix,
    }
