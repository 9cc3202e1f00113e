"""Segments → turns: by channel, by diarization label, and the mono heuristic."""

import pytest

from callintel_dagster.lib.transcripts.speaker_roles import PAUSE_S, turns_from_segments
from callintel_dagster.providers.stt.base import Segment


def seg(start, end, text, speaker=None, conf=None):
    return Segment(start, end, text, speaker, conf)


@pytest.mark.parametrize("agent_channel", [0, 1])
def test_channels_give_roles(agent_channel):
    segments = [
        seg(0.0, 2.0, "Hello, this is Maya.", "ch0", 0.9),
        seg(2.5, 3.5, "Hi.", "ch1", 0.7),
        seg(3.6, 5.0, "Are you free?", "ch0", 0.8),
    ]
    turns, how = turns_from_segments(segments, "channel", agent_channel)
    assert how == "channel"
    agent = "agent" if agent_channel == 0 else "customer"
    assert [t["role"] for t in turns] == [agent, "customer" if agent == "agent" else "agent", agent]


def test_diarized_agent_is_who_introduces_the_company_even_if_second():
    segments = [
        seg(0.0, 1.0, "Haan ji?", "1"),
        seg(1.2, 4.0, "Namaste, this is Riya from Acme Realty.", "0"),
        seg(4.2, 5.0, "Boliye.", "1"),
        seg(5.1, 6.0, "Sorry, who is this?", "2"),
    ]
    turns, how = turns_from_segments(segments, "diarization")
    assert how == "diarization"
    assert [t["role"] for t in turns] == ["customer", "agent", "customer", "unknown"]


def test_diarized_without_an_opening_takes_the_first_speaker_as_agent():
    turns, _ = turns_from_segments(
        [seg(0, 1, "Okay.", "A"), seg(1, 2, "Right.", "B")], "diarization"
    )
    assert [t["role"] for t in turns] == ["agent", "customer"]


def test_heuristic_switches_on_pauses_and_questions_and_merges_same_role():
    segments = [
        seg(0.0, 1.0, "Good morning."),
        seg(1.1, 2.0, "Is this a good time?"),  # a question ends the agent's turn
        seg(2.2, 3.0, "Yes,"),
        seg(3.1, 4.0, "go ahead."),  # no pause: same speaker, merged
        seg(4.0 + PAUSE_S, 6.0, "We have a plan at 999 rupees."),
    ]
    turns, how = turns_from_segments(segments, "none")
    assert how == "heuristic"
    assert [(t["role"], t["text"]) for t in turns] == [
        ("agent", "Good morning. Is this a good time?"),
        ("customer", "Yes, go ahead."),
        ("agent", "We have a plan at 999 rupees."),
    ]


def test_confidence_is_the_mean_of_known_values_and_empty_text_is_dropped():
    turns, how = turns_from_segments(
        [seg(0, 1, "Hi", "ch0", 0.8), seg(1, 2, "there", "ch0", None), seg(2, 3, "  ", "ch1")],
        "channel",
    )
    assert turns == [
        {"role": "agent", "start_s": 0, "end_s": 2, "text": "Hi there", "confidence": 0.8}
    ]
    assert turns_from_segments([], "channel") == ([], "none")
