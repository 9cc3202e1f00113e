"""AudioStore against real servers on 127.0.0.1: moto's S3 server, an http.server, real files."""

import hashlib
import http.server
import os
import threading
import uuid
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from callintel_dagster.providers.audio_store import ArchivedAudio, AudioStore, AudioUnavailable
from callintel_dagster.providers.base import RetryableProviderError

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(64))
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(200))
SECRET = "dummy-secret-never-shown"


@pytest.fixture(scope="module")
def moto_url():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_url, monkeypatch, tmp_path):
    """A fresh bucket on the moto server; credentials are dummies from the standard env vars."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "dummy-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # never the developer's own ~/.aws files
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    client = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    bucket = f"calls-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, list[tuple[int, dict, bytes]]] = {}
    hits: dict[str, int] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0]
        self.hits[path] = self.hits.get(path, 0) + 1
        answers = self.routes.get(path) or [(404, {}, b"not found")]
        status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def web():
    """An HTTP server on 127.0.0.1; set `routes[path]` to the answers it gives in turn."""
    _Handler.routes, _Handler.hits = {}, {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Handler
    server.shutdown()
    server.server_close()


def store(tmp_path: Path, **kwargs) -> AudioStore:
    kwargs.setdefault("http_max_backoff_s", 0.05)  # keep retries fast
    return AudioStore(tmp_path / "audio", **kwargs)


def expected(path: Path | str, data: bytes, content_type: str) -> ArchivedAudio:
    return ArchivedAudio(str(path), len(data), hashlib.sha256(data).hexdigest(), content_type)


def test_s3_object_is_archived_under_the_tenant(tmp_path, s3, moto_url):
    client, bucket = s3
    client.put_object(Bucket=bucket, Key="2026/11/18/c1.wav", Body=WAV)
    audio = store(tmp_path, s3_endpoint_url=moto_url).fetch(
        "acme", "c1", f"s3://{bucket}/2026/11/18/c1.wav"
    )
    target = tmp_path / "audio" / "acme" / "c1.wav"
    assert audio == expected(target, WAV, "audio/wav")
    assert target.read_bytes() == WAV


def test_http_retries_a_503_then_archives(tmp_path, web):
    base, handler = web
    # a recording URL without an extension, as Twilio's are: the format is read from the bytes
    handler.routes["/Recordings/RE1"] = [
        (503, {"Retry-After": "0"}, b"busy"),
        (200, {"Content-Type": "audio/mpeg"}, MP3),
    ]
    audio = store(tmp_path).fetch("acme", "c1", f"{base}/Recordings/RE1?token=abc")
    assert audio == expected(tmp_path / "audio" / "acme" / "c1.mp3", MP3, "audio/mpeg")
    assert handler.hits["/Recordings/RE1"] == 2


def test_http_gives_up_after_its_attempts_without_leaking_the_query(tmp_path, web):
    base, handler = web
    handler.routes["/down.wav"] = [(503, {}, b"")]
    with pytest.raises(RetryableProviderError) as info:
        store(tmp_path, http_max_attempts=3).fetch("acme", "c1", f"{base}/down.wav?sig={SECRET}")
    assert handler.hits["/down.wav"] == 3
    assert SECRET not in str(info.value)
    assert not list((tmp_path / "audio" / "acme").iterdir())  # no partial file left behind


def test_http_permanent_errors_are_not_retried(tmp_path, web):
    base, handler = web
    handler.routes["/private.wav"] = [(403, {}, b"denied")]
    with pytest.raises(AudioUnavailable, match="HTTP 403"):
        store(tmp_path).fetch("acme", "c1", f"{base}/private.wav")
    assert handler.hits["/private.wav"] == 1


@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "file-uri"])
def test_local_file(tmp_path, as_uri):
    source = tmp_path / "drop" / "my call.ogg"
    source.parent.mkdir()
    source.write_bytes(b"OggS" + bytes(100))
    location = source.as_uri() if as_uri else str(source)
    audio = store(tmp_path).fetch("acme", "c9", location)
    assert audio.path_or_uri == str(tmp_path / "audio" / "acme" / "c9.ogg")
    assert audio.content_type == "audio/ogg" and audio.bytes_len == 104


def test_tenants_never_share_a_prefix(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    a.write_bytes(WAV)
    b.write_bytes(WAV + b"other")
    archive = store(tmp_path)
    archive.fetch("acme", "c1", str(a))
    archive.fetch("globex", "c1", str(b))
    root = tmp_path / "audio"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == [
        "acme",
        "acme/c1.wav",
        "globex",
        "globex/c1.wav",
    ]
    assert (root / "globex" / "c1.wav").read_bytes() == WAV + b"other"


def test_refetch_of_the_same_bytes_does_not_rewrite(tmp_path):
    source = tmp_path / "c1.wav"
    source.write_bytes(WAV)
    archive = store(tmp_path)
    first = archive.fetch("acme", "c1", str(source))
    target = Path(first.path_or_uri)
    os.utime(target, (1_000_000_000, 1_000_000_000))  # a rewrite would move the mtime
    assert archive.fetch("acme", "c1", str(source)) == first
    assert target.stat().st_mtime == 1_000_000_000
    source.write_bytes(WAV + b"corrected")  # different bytes: replaced
    second = archive.fetch("acme", "c1", str(source))
    assert second.sha256 != first.sha256 and target.read_bytes() == WAV + b"corrected"


def test_s3_archive_bucket_layout_and_idempotence(tmp_path, s3, moto_url):
    client, bucket = s3
    client.put_object(Bucket=bucket, Key="in/c1.wav", Body=WAV)
    archive = store(
        tmp_path, s3_endpoint_url=moto_url, archive_bucket=bucket, archive_prefix="/archive/"
    )
    audio = archive.fetch("acme", "c1", f"s3://{bucket}/in/c1.wav")
    assert audio == expected(f"s3://{bucket}/archive/acme/c1.wav", WAV, "audio/wav")
    stored = client.get_object(Bucket=bucket, Key="archive/acme/c1.wav")
    assert stored["Body"].read() == WAV and stored["ContentType"] == "audio/wav"
    # mark the archived copy: a re-fetch of the same bytes must leave it alone
    client.copy_object(
        Bucket=bucket,
        Key="archive/acme/c1.wav",
        CopySource={"Bucket": bucket, "Key": "archive/acme/c1.wav"},
        Metadata={"sha256": audio.sha256, "marker": "untouched"},
        MetadataDirective="REPLACE",
    )
    assert archive.fetch("acme", "c1", f"s3://{bucket}/in/c1.wav") == audio
    head = client.head_object(Bucket=bucket, Key="archive/acme/c1.wav")
    assert head["Metadata"]["marker"] == "untouched"


def test_missing_audio_names_the_location_never_the_credentials(tmp_path, s3, moto_url, web):
    client, bucket = s3
    base, _ = web
    archive = store(tmp_path, s3_endpoint_url=moto_url)
    for location in (
        f"s3://{bucket}/nope.wav",
        f"s3://no-such-bucket-{uuid.uuid4().hex[:6]}/c1.wav",
        f"{base}/gone.wav",
        str(tmp_path / "absent.wav"),
        (tmp_path / "absent.wav").as_uri(),
    ):
        with pytest.raises(AudioUnavailable) as info:
            archive.fetch("acme", "c1", location)
        assert info.value.reason == "missing", location
        assert location in str(info.value)
        assert SECRET not in str(info.value) and "dummy-key" not in str(info.value)


def test_empty_audio_is_an_error(tmp_path, s3, moto_url):
    client, bucket = s3
    client.put_object(Bucket=bucket, Key="empty.wav", Body=b"")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    archive = store(tmp_path, s3_endpoint_url=moto_url)
    for location in (f"s3://{bucket}/empty.wav", str(empty)):
        with pytest.raises(AudioUnavailable) as info:
            archive.fetch("acme", "c1", location)
        assert info.value.reason == "empty"
    assert not list((tmp_path / "audio" / "acme").iterdir())


@pytest.mark.parametrize(
    "call_id", ["../escape", "a/b", "..", ".hidden", "", "a\\b", "c1\x00", "c1\n"]
)
def test_call_ids_that_could_leave_the_tenant_prefix_are_rejected(tmp_path, call_id):
    source = tmp_path / "c.wav"
    source.write_bytes(WAV)
    with pytest.raises(ValueError, match="invalid call id"):
        store(tmp_path).fetch("acme", call_id, str(source))
    assert not (tmp_path / "audio").exists()


@pytest.mark.parametrize("tenant_id", ["../acme", "Acme", "acme/globex", "", "acme\n"])
def test_tenant_ids_are_validated(tmp_path, tenant_id):
    with pytest.raises(ValueError, match="invalid tenant id"):
        store(tmp_path).fetch(tenant_id, "c1", str(tmp_path / "c.wav"))


def test_local_reads_can_be_confined(tmp_path):
    inside, outside = tmp_path / "drop", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (inside / "ok.wav").write_bytes(WAV)
    (outside / "secret.wav").write_bytes(WAV)
    archive = store(tmp_path, allowed_local_roots=[inside])
    assert archive.fetch("acme", "c1", str(inside / "ok.wav")).bytes_len == len(WAV)
    with pytest.raises(AudioUnavailable, match="outside the allowed roots"):
        archive.fetch("acme", "c2", str(inside / ".." / "elsewhere" / "secret.wav"))


def test_unsupported_scheme(tmp_path):
    with pytest.raises(AudioUnavailable, match="unsupported"):
        store(tmp_path).fetch("acme", "c1", "ftp://user:pw@host/c1.wav")
