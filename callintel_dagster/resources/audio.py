"""The audio archive as a resource: recordings fetched from s3://, http(s):// or a local path
and kept under each tenant's own prefix (see audio_store.py): on local disk, or in the shared
store's bucket when CALLINTEL_SHARED_STORE is set (lib/shared_store.py)."""

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from callintel_dagster.providers.audio_store import AudioStore


class AudioArchive(dg.ConfigurableResource):
    """`root`: the local archive ($CALLINTEL_HOME/audio); `local_roots`: the only local folders a
    recording location may point into (so one tenant's data cannot name another's files)."""

    root: str
    local_roots: list[str] = []
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    archive_bucket: str | None = None  # archive to S3 instead of `root`
    archive_prefix: str = ""  # keys are <archive_prefix>/<tenant>/<call_id><ext>
    _store: AudioStore | None = PrivateAttr(default=None)

    def store(self) -> AudioStore:
        if self._store is None:
            self._store = AudioStore(
                Path(self.root),
                s3_endpoint_url=self.s3_endpoint_url,
                s3_region=self.s3_region,
                archive_bucket=self.archive_bucket,
                archive_prefix=self.archive_prefix,
                allowed_local_roots=[Path(p) for p in self.local_roots],
            )
        return self._store
