"""A warehouse's dbt parse state is kept between runs, apart from other warehouses'."""

import os

from callintel_dagster.assets.dbt_parse_state import (
    KEEP_STATES,
    PARSE_FILE,
    PARTITIONS_ENV,
    keep_parse_state,
    partitions_in_env,
    run_target,
    state_file,
)

ONE = {"CALLINTEL_DUCKDB_PATH": "/data/one.duckdb"}
TWO = {"CALLINTEL_PG_HOST": "db", "CALLINTEL_PG_PASSWORD": "s3cret"}


def test_each_run_starts_from_its_warehouses_last_parse_state(tmp_path):
    first = run_target(tmp_path, ONE)
    assert not (first / PARSE_FILE).exists()  # nothing kept yet: dbt parses in full
    (first / PARSE_FILE).write_bytes(b"state of one")
    keep_parse_state(tmp_path, ONE, first)

    again = run_target(tmp_path, ONE)
    assert again != first and (again / PARSE_FILE).read_bytes() == b"state of one"
    assert not (run_target(tmp_path, TWO) / PARSE_FILE).exists()  # another warehouse's own


def test_the_state_is_named_by_a_hash_never_by_the_connection(tmp_path):
    name = state_file(tmp_path, TWO).name
    assert "s3cret" not in name and "db" not in name.removesuffix(".msgpack")
    assert state_file(tmp_path, ONE) != state_file(tmp_path, TWO)


def test_a_run_that_wrote_no_state_keeps_the_last_one(tmp_path):
    first = run_target(tmp_path, ONE)
    (first / PARSE_FILE).write_bytes(b"kept")
    keep_parse_state(tmp_path, ONE, first)
    (tmp_path / "failed_early").mkdir()
    keep_parse_state(tmp_path, ONE, tmp_path / "failed_early")
    assert state_file(tmp_path, ONE).read_bytes() == b"kept"


def test_only_the_most_recently_used_states_are_kept(tmp_path):
    """Every test's temporary warehouse is a connection of its own: without a cap the saved
    states would grow by ~1 MB each, for ever."""
    connections = [{"CALLINTEL_DUCKDB_PATH": f"/tmp/w{n}.duckdb"} for n in range(KEEP_STATES + 3)]
    for n, connection in enumerate(connections):
        target = run_target(tmp_path, connection)
        (target / PARSE_FILE).write_bytes(b"state %d" % n)
        keep_parse_state(tmp_path, connection, target)
        os.utime(state_file(tmp_path, connection), (1000 + n, 1000 + n))  # saved in this order
    keep_parse_state(tmp_path, ONE, target)  # the newest, with the state the last run wrote
    kept = {p.name for p in state_file(tmp_path, ONE).parent.glob("*.msgpack")}
    newest = [ONE, *reversed(connections)][:KEEP_STATES]
    assert kept == {state_file(tmp_path, c).name for c in newest}
    assert state_file(tmp_path, connections[0]).name not in kept


def test_the_partitions_are_in_the_environment_only_while_dbt_runs():
    with partitions_in_env([{"tenant_id": "a", "first_date": "2026-11-18"}]):
        assert '"tenant_id": "a"' in os.environ[PARTITIONS_ENV]
    assert PARTITIONS_ENV not in os.environ
