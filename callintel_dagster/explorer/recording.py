"""A call's archived recording as an HTTP response, for the API and the call page alike: from
this machine's disk (FileResponse), or streamed from the shared store's bucket when the recording
was archived there (CALLINTEL_SHARED_STORE, lib/shared_store.py). Both answer Range requests, so
the player can seek.

The object read is the one the tenant's own row names, and only when that URI lies under the
tenant's prefix of the configured archive (AudioStore.archive_key): a URI is never built from the
request alone, and a row can never point a tenant at another tenant's audio.
"""

import functools
import logging

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from callintel_dagster.env import Env
from callintel_dagster.explorer.call_page import archived_recording, call_audio
from callintel_dagster.lib.shared_store import audio_archive_settings, shared_store_of
from callintel_dagster.providers.audio_store import AudioStore, AudioUnavailable
from callintel_dagster.providers.base import RetryableProviderError

NO_RECORDING = "no archived recording for this call"
log = logging.getLogger(__name__)


@functools.cache
def shared_archive(env: Env) -> AudioStore | None:
    """One S3 client per process and environment (building one costs ~50 ms)."""
    if shared_store_of(env) is None:
        return None
    return AudioStore.in_home(env.home, **audio_archive_settings(env))


def recording_response(settings, tenant_id: str, call_id: str, request: Request) -> Response:
    local = call_audio(settings.reader, settings.env.home, tenant_id, call_id)
    if local is not None:
        path, content_type = local
        return FileResponse(path, media_type=content_type)  # answers Range requests
    found = archived_recording(settings.reader, tenant_id, call_id)
    store = shared_archive(settings.env)
    if found is None or store is None or not found["archive_uri"].startswith("s3://"):
        raise HTTPException(404, NO_RECORDING)
    try:
        audio = store.open_archived(tenant_id, found["archive_uri"], request.headers.get("range"))
    except AudioUnavailable as exc:
        if exc.reason == "range not satisfiable":
            raise HTTPException(416, "the asked range is outside the recording") from None
        log.warning("tenant %s call %s: recording unavailable (%s)", tenant_id, call_id, exc)
        raise HTTPException(404, NO_RECORDING) from None
    except RetryableProviderError:
        raise HTTPException(503, "the recording store did not answer; try again") from None
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(audio.length)}
    if audio.content_range:
        headers["Content-Range"] = audio.content_range
    return StreamingResponse(
        audio.chunks,
        status_code=206 if audio.content_range else 200,
        media_type=found["content_type"] or audio.content_type,
        headers=headers,
    )
