"""The explorer's signing secret, and the signed, expiring media URLs it serves to Twilio.

One secret signs the session cookies and the digest's chart URLs, so the digest run (which makes
the URL) and the explorer process (which serves it) must share it: `CALLINTEL_EXPLORER_SECRET`
in production (a Dagster `EnvVar` in runs); on one machine, a random secret kept beside the
warehouse in `$CALLINTEL_HOME/explorer.secret` (mode 0600) when the variable is unset.
"""

import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SECRET_ENV = "CALLINTEL_EXPLORER_SECRET"
MEDIA_TTL_S = 7 * 24 * 3600  # Twilio fetches at once; a manager may reopen the chart all week


def explorer_secret(home: Path, value: str | None = None) -> str:
    """`value` (the variable's value) when given, else the machine's persisted secret."""
    value = value if value is not None else os.environ.get(SECRET_ENV)
    if value:
        return value
    path = Path(home) / "explorer.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _media(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="callintel-media")


def sign_media(secret: str, tenant_id: str, relpath: str) -> str:
    """A URL-safe token naming one file of one tenant's outbox."""
    return _media(secret).dumps({"t": tenant_id, "p": relpath})


def open_media(secret: str, token: str, max_age_s: int = MEDIA_TTL_S) -> tuple[str, str] | None:
    """(tenant_id, relpath) of a valid, unexpired token; None otherwise."""
    try:
        body = _media(secret).loads(token, max_age=max_age_s)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(body, dict) or not {"t", "p"} <= body.keys():
        return None
    return str(body["t"]), str(body["p"])
