"""A local webhook receiver for alert tests: the emulator framework's threaded HTTP server on
127.0.0.1:0, keeping every JSON body POSTed to a Slack-style path (/services/T/B/secret).
Faults (`inject("/services/{team}/{bot}/{token}", {"status": 500})`) make it refuse a post."""

from typing import Any

from emulators.base import Emulator, Request, Response

HOOK = "/services/{team}/{bot}/{token}"


class WebhookReceiver(Emulator):
    name = "webhook"

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.posts: list[dict] = []
        self.raw: list[bytes] = []  # the bodies as sent, for "no secret anywhere" checks
        self.route("POST", HOOK, self._post)

    def url(self, token: str = "XXXXsecretTOKEN") -> str:
        return f"{self.base_url}/services/T0001/B0001/{token}"

    def _post(self, request: Request) -> Response:
        self.raw.append(request.body)
        self.posts.append(request.json())
        return Response(200, b"ok")
