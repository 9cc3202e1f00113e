"""Signed, expiring media URLs: `GET /media/{token}` serves one file of one tenant's outbox, the
digest's week chart (`<outbox>/<tenant>/<day>/kpi_week.png`), to Twilio (which downloads a
WhatsApp message's MediaUrl) and to the manager who opens it later.

No login: the token is the credential. It is signed with the explorer secret (secret.py) by the
digest run and names the tenant and the file; a forged, altered or unknown one is 404, an expired
one 410. The file must lie inside that tenant's outbox folder once resolved (no `..`, no link
out of it) and be a PNG; anything else is 404, so a token never reaches another tenant's files.
"""

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from callintel_dagster.explorer.secret import MEDIA_TTL_S, open_media

router = APIRouter(tags=["media"])
CONTENT_TYPES = {".png": "image/png"}  # Twilio checks the Content-Type against the file
_AGELESS_S = 100 * 365 * 24 * 3600  # reads a signature without its expiry: expired vs forged


def media_file(outbox: Path, tenant_id: str, relpath: str) -> Path | None:
    """The file `relpath` names inside the tenant's outbox folder; None when it is not one."""
    root = (outbox / tenant_id).resolve()
    path = (root / relpath).resolve()
    if root.parent != outbox.resolve() or not path.is_relative_to(root):
        return None
    if path.suffix not in CONTENT_TYPES or not path.is_file():
        return None
    return path


# HEAD too: a media fetcher may ask for the type and size before it downloads
@router.api_route("/media/{token}", methods=["GET", "HEAD"], include_in_schema=False)
def media(token: str, request: Request) -> FileResponse:
    settings = request.app.state.settings
    opened = open_media(settings.secret, token, MEDIA_TTL_S)
    if opened is None:
        if open_media(settings.secret, token, _AGELESS_S) is not None:
            raise HTTPException(
                410, "This chart link has expired; the next digest brings a new one."
            )
        raise HTTPException(404, "No such chart.")
    tenant_id, relpath = opened
    path = media_file(Path(settings.env.outbox_path), tenant_id, relpath)
    if settings.tenant(tenant_id) is None or path is None:
        raise HTTPException(404, "No such chart.")
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[path.suffix],
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
