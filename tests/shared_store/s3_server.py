"""moto's S3 server on 127.0.0.1 and a fresh bucket for the shared store, with dummy credentials
in the standard AWS variables (never the developer's own ~/.aws files)."""

import uuid
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer

SECRET = "shared-store-dummy-secret"  # must never show in a log, an event or a config
REGION = "us-east-1"


@contextmanager
def moto_s3():
    """The server's endpoint URL while it runs."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def use_shared_store(monkeypatch, tmp_path, endpoint: str, prefix: str = "callintel"):
    """A new bucket set as CALLINTEL_SHARED_STORE; returns (boto3 client, bucket)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "dummy-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    bucket = f"shared-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv("CALLINTEL_SHARED_STORE", f"s3://{bucket}/{prefix}")
    monkeypatch.setenv("CALLINTEL_S3_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("CALLINTEL_S3_REGION", REGION)
    return client, bucket


def keys(client, bucket: str, prefix: str = "") -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]
