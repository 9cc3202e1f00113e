"""The `callintel` console script: installed into .venv, --help everywhere, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

from callintel_dagster.cli.main import build_parser, main
from conftest import TENANTS_YAML

SCRIPT = Path(sys.executable).parent / "callintel"


def test_the_console_script_is_installed_and_lists_tenants(tmp_path):
    (tmp_path / "t.yaml").write_text(TENANTS_YAML)
    env = {**os.environ, "CALLINTEL_TENANTS": str(tmp_path / "t.yaml")}
    done = subprocess.run(
        [str(SCRIPT), "tenants", "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert [t["id"] for t in json.loads(done.stdout)["tenants"]] == ["acme", "globex"]


def test_every_subcommand_has_help(capsys):
    parser = build_parser()
    names = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse keeps them here
    for name in names:
        try:
            main([name, "--help"])
        except SystemExit as exit_:
            assert exit_.code == 0
        assert "usage: callintel " + name in capsys.readouterr().out


def test_a_missing_registry_is_one_line_and_exit_code_2(monkeypatch, capsys):
    monkeypatch.setenv("CALLINTEL_TENANTS", "/nowhere/tenants.yaml")
    assert main(["tenants"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tenant registry not found" in err
