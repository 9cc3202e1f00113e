"""The once-per-incident state machine: a notice on open, on a change of reason and on resolve;
nothing on a repeat; a partial send remembered per channel."""

from datetime import datetime, timedelta

import pytest

from callintel_dagster.alerts.incidents import (
    CHANGED,
    OPEN,
    OPENED,
    RESOLVED,
    Finding,
    notified,
    observe,
)

T0 = datetime(2026, 11, 27, 10, 0)
STALE = Finding("sync_stale", "acme", "call_records", "", "never synced (threshold 60 min)")


def told(incidents, now=T0):
    """The incidents after every due notice was delivered to all channels."""
    return {i.key: notified(i, None, now, complete=True) for i in incidents}


def test_open_then_repeat_then_change_then_resolve():
    [opened] = observe({}, [STALE], T0, frozenset({"sync_stale"}))
    assert (opened.state, opened.due) == (OPEN, OPENED)
    state = told([opened])
    assert observe(state, [STALE], T0 + timedelta(minutes=3), frozenset({"sync_stale"})) == []

    moved = Finding(*STALE.key, reason="no successful sync since 2026-11-27 09:00 UTC")
    [changed] = observe(state, [moved], T0, frozenset({"sync_stale"}))
    assert changed.due == CHANGED and changed.opened_at_utc == T0
    state = told([changed])

    [resolved] = observe(state, [], T0, frozenset({"sync_stale"}), "synced again")
    assert (resolved.state, resolved.due, resolved.reason) == (RESOLVED, RESOLVED, "synced again")
    state = told([resolved])
    assert state[STALE.key].notices == 3
    assert observe(state, [], T0, frozenset({"sync_stale"})) == []


def test_rules_not_evaluated_are_never_resolved():
    state = told(observe({}, [STALE], T0))
    assert observe(state, [], T0, frozenset({"digest_late"})) == []


def test_reopen_after_resolve_is_a_new_open_notice():
    state = told(observe({}, [STALE], T0))
    state = told(observe(state, [], T0, frozenset({"sync_stale"})))
    [again] = observe(state, [STALE], T0 + timedelta(hours=1))
    assert (again.state, again.due, again.opened_at_utc) == (OPEN, OPENED, T0 + timedelta(hours=1))
    assert again.resolved_at_utc is None


def test_resolved_before_anyone_was_told_sends_nothing():
    [opened] = observe({}, [STALE], T0)
    [resolved] = observe({opened.key: opened}, [], T0, frozenset({"sync_stale"}))
    assert resolved.due is None


def test_a_new_run_of_the_same_failure_updates_the_run_but_is_no_new_notice():
    first = Finding("run_failure", "acme", "call_records", "d|acme", "step: KeyError", "r1", "j")
    state = told(observe({}, [first], T0))
    second = Finding(*first.key, reason=first.reason, run_id="r2", job_name="j")
    [updated] = observe(state, [second], T0)
    assert updated.run_id == "r2" and updated.due is None


@pytest.mark.parametrize("channels", [["deployment:0:webhook"], ["a", "b"]])
def test_partial_send_remembers_channels_until_complete(channels):
    [opened] = observe({}, [STALE], T0)
    state = opened
    for channel in channels:
        state = notified(state, channel, T0, complete=False)
    assert state.channels_done == set(channels) and state.due == OPENED
    done = notified(state, None, T0, complete=True)
    assert done.due is None and done.sent_to is None and done.notices == 1
    # a changed reason is a new notice: every channel gets it again
    moved = Finding(*STALE.key, reason="another reason")
    [changed] = observe({done.key: done}, [moved], T0)
    assert changed.channels_done == set() and changed.due == CHANGED
