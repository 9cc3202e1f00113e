"""`callintel serve` and `make explore`'s keys: clear one-line errors before anything listens, the
demo keys kept 0600 and reused, and the served explorer answering over HTTP."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from callintel_dagster.cli.explore import KEYS_FILE, demo_keys
from callintel_dagster.cli.main import main

KEY_VARS = ("CALLINTEL_KEY_ACME", "CALLINTEL_KEY_GLOBEX", "CALLINTEL_ADMIN_KEY")


@pytest.fixture
def no_keys(callintel_env, monkeypatch):
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    return callintel_env


def test_serve_without_any_key_is_a_clear_error(no_keys, capsys):
    assert main(["serve", "--port", "8765"]) == 2
    err = capsys.readouterr().err
    assert "no explorer key is set" in err and "CALLINTEL_KEY_ACME" in err
    assert "CALLINTEL_ADMIN_KEY" in err and "Traceback" not in err


def test_serve_with_a_bad_registry_or_port(no_keys, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CALLINTEL_ADMIN_KEY", "k" * 20)
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port must be between 0 and 65535" in capsys.readouterr().err
    (tmp_path / "bad.yaml").write_text("tenants: [{id: 'Bad Id!'}]")
    monkeypatch.setenv("CALLINTEL_TENANTS", str(tmp_path / "bad.yaml"))
    assert main(["serve"]) == 2
    assert "bad.yaml" in capsys.readouterr().err


def test_demo_keys_are_made_once_kept_0600_and_reused(tmp_path):
    path = tmp_path / KEYS_FILE
    names = ["CALLINTEL_KEY_ACME", "CALLINTEL_KEY_GLOBEX", "CALLINTEL_ADMIN_KEY"]
    first = demo_keys(path, names, {"CALLINTEL_KEY_GLOBEX": "set-by-the-operator"})
    assert set(first) == {"CALLINTEL_KEY_ACME", "CALLINTEL_ADMIN_KEY"}
    assert all(len(v) >= 30 for v in first.values()) and len(set(first.values())) == 2
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert "set-by-the-operator" not in path.read_text()  # a key from the environment stays there
    again = demo_keys(path, names, {})
    assert again["CALLINTEL_KEY_ACME"] == first["CALLINTEL_KEY_ACME"]
    assert again["CALLINTEL_ADMIN_KEY"] == first["CALLINTEL_ADMIN_KEY"]
    assert again["CALLINTEL_KEY_GLOBEX"] not in first.values()  # made now, kept from now on
    assert demo_keys(path, names, {}) == again
    assert demo_keys(path, names, dict.fromkeys(names, "x")) == {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration  # a second Python process: a few seconds of imports
def test_callintel_serve_answers_over_http(callintel_env, monkeypatch):
    monkeypatch.setenv("CALLINTEL_KEY_ACME", "acme-serve-key-123456")
    monkeypatch.delenv("CALLINTEL_ADMIN_KEY", raising=False)
    port = free_port()
    command = [sys.executable, "-m", "callintel_dagster.cli.main", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "callintel serve did not start"
            time.sleep(0.2)
        key = {"Authorization": "Bearer acme-serve-key-123456"}
        calls = httpx.get(f"{base}/api/tenants/acme/calls", headers=key, timeout=30)
        assert calls.status_code == 200 and calls.json()["total"] == 0  # an empty warehouse
        assert httpx.get(f"{base}/api/tenants/globex/calls", headers=key).status_code == 404
        assert httpx.get(f"{base}/t/acme/").status_code == 303
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"call explorer on http://127.0.0.1:{port} for acme" in out
