"""Twilio status callbacks for the WhatsApp digest, for deployments that can expose a URL.

Set the tenant's `digest.status_callback_url` to where this server is reachable; Twilio then
POSTs each status change (MessageSid, MessageStatus, ErrorCode, To, AccountSid, ...) form-encoded
and signed with `X-Twilio-Signature`: HMAC-SHA1 of the exact URL Twilio called plus the sorted
parameters, keyed with the account's auth token. An unsigned or wrongly signed request gets 403
and changes nothing. A valid one updates the ledger row with that MessageSid
(delivery.whatsapp_ledger; a late callback never moves a part backwards) and the recipient's
delivery.digests status. Without a public URL, sensors/digest_status.py polls Twilio instead.

    python -m callintel_dagster.cli.twilio_status --port 8088 --auth-token-env TWILIO_AUTH_TOKEN \\
        [--auth-token-env OTHER_TENANT_TOKEN] [--public-url https://hooks.example.com]

The warehouse comes from CALLINTEL_* as everywhere else (callintel_dagster/env.py). Behind a
proxy the URL this server sees is not the one Twilio signed: `--public-url` gives the scheme and
host Twilio used (the request path and query are appended).
"""

import argparse
import os
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

from callintel_dagster.env import current_env
from callintel_dagster.lib.http_server import HTTPServer
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.digest import apply_status


def signature_valid(auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    return bool(signature) and RequestValidator(auth_token).validate(url, params, signature)


def apply_status_callback(
    warehouse: Warehouse, auth_token: str, url: str, params: dict[str, str], signature: str
) -> bool:
    """Apply one callback; True when it was signed with `auth_token` and its MessageSid is in the
    ledger. `url`: the URL Twilio posted to, exactly; `params`: the form fields."""
    if not signature_valid(auth_token, url, params, signature):
        return False
    sid, status = params.get("MessageSid"), params.get("MessageStatus")
    if not sid or not status:
        return False
    code = params.get("ErrorCode") or ""
    error_code = int(code) if code.isdigit() and int(code) else None
    return apply_status(warehouse, sid, status, error_code, params.get("ErrorMessage"))


def make_handler(warehouse: Warehouse, tokens: list[str], public_url: str | None):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            params = {k: v[-1] for k, v in form.items()}
            base = public_url or f"http://{self.headers.get('Host', '')}"
            url = base.rstrip("/") + self.path
            signature = self.headers.get("X-Twilio-Signature", "")
            token = next((t for t in tokens if signature_valid(t, url, params, signature)), None)
            if token is None:
                self._answer(403)
                return
            applied = apply_status_callback(warehouse, token, url, params, signature)
            self._answer(204 if applied else 200)  # unknown sid: not ours, nothing to retry

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass  # a line per callback would drown the log; the ledger is the record

    return Handler


def make_server(
    warehouse: Warehouse, tokens: list[str], public_url: str | None, host: str, port: int
) -> HTTPServer:
    """The callback server, bound to host:port (0: any free port) and not yet serving."""
    return HTTPServer((host, port), make_handler(warehouse, tokens, public_url))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Twilio status callbacks for WhatsApp digests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--auth-token-env", action="append", required=True, metavar="NAME")
    parser.add_argument("--public-url", help="scheme://host Twilio posts to, when proxied")
    args = parser.parse_args(argv)
    tokens = []
    for name in args.auth_token_env:
        if not os.environ.get(name):
            parser.error(f"environment variable {name} is not set")
        tokens.append(os.environ[name])
    env = current_env()
    warehouse = Warehouse(url=env.warehouse_location)
    server = make_server(warehouse, tokens, args.public_url, args.host, args.port)
    where = "PostgreSQL (CALLINTEL_WAREHOUSE_URL)" if env.warehouse_url else env.duckdb_path
    print(f"Twilio status callbacks on http://{args.host}:{args.port}/ → {where}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
