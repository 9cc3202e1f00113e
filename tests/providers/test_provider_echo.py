"""Provider error text loses what repeats the request: a quoted prompt is a quoted call."""

import json

import pytest

from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.echo import drop_echo, sent_text
from callintel_dagster.providers.http import ProviderHttp
from emulators.base import Emulator, Request, Response

SAID = "Mera budget pachpan lakh hai aur main Baner mein flat dhoondh raha hoon"


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (json.dumps({"messages": [{"content": f"Customer: {SAID}."}]}), SAID),
        (json.dumps({"note": "फ्लैट का बजट पचपन लाख है और लोकेशन बानेर"}, ensure_ascii=True), None),
        (f"Body={SAID.replace(' ', '+')}&To=whatsapp%3A%2B91", SAID),
    ],
)
def test_sent_text_reads_json_and_forms(body, expect):
    text = sent_text(body.encode())
    assert (expect or "पचपन लाख है") in text


def test_an_echo_is_cut_and_the_rest_kept():
    sent = sent_text(json.dumps({"messages": [{"content": f"Customer: {SAID}."}]}))
    error = f"invalid request: content near '{SAID[:40]}' is not allowed (code 17)"
    cut = drop_echo(error, sent)
    assert "pachpan" not in cut and "budget" not in cut
    assert cut.startswith("invalid request: content near '") and "(code 17)" in cut
    # three words in a row are vocabulary, not an echo
    assert drop_echo("Mera budget pachpan", sent) == "Mera budget pachpan"
    assert drop_echo("Invalid API Key", sent) == "Invalid API Key"


class EchoingCrm(Emulator):
    """A CRM whose validation error quotes the note it refused."""

    def __init__(self):
        super().__init__()
        self.route("POST", "/notes", self._refuse)

    def _refuse(self, request: Request) -> Response:
        return Response(400, {"message": f"Invalid note: {request.json()['note']}"})


def test_a_permanent_http_error_does_not_quote_the_request():
    with EchoingCrm() as crm, pytest.raises(PermanentProviderError) as caught:
        ProviderHttp("acme", "crm", crm.base_url).json("POST", "/notes", json={"note": SAID})
    assert "Invalid note" in str(caught.value) and "pachpan" not in str(caught.value)
