import pytest

from callintel_dagster.lib.tables import CALL_SIGNALS
from callintel_dagster.lib.transcripts.signals import compute_signals


def turn(role, start, end, text=""):
    return {"role": role, "start_s": start, "end_s": end, "text": text}


# Customer starts 0.2 s before the agent stops (back-channel), the agent cuts back in 1.5 s early.
THREE_TURNS = [
    turn("agent", 0.0, 10.0, "Hello, my name is Ravi. How are you? What do you need?"),
    turn("customer", 9.8, 15.0, "I need a loan. How much?"),
    turn("agent", 13.5, 20.0, "Sure."),
]


def test_keys_match_the_warehouse_columns():
    columns = CALL_SIGNALS.column_names
    assert list(compute_signals(THREE_TURNS, 25.0)) == columns[columns.index("call_id") + 1 :]


def test_three_turn_call_by_hand():
    s = compute_signals(THREE_TURNS, 25.0)
    assert s["agent_talk_seconds"] == pytest.approx(16.5)
    assert s["customer_talk_seconds"] == pytest.approx(5.2)
    assert s["talk_seconds"] == pytest.approx(21.7)
    assert s["talk_ratio"] == pytest.approx(16.5 / 21.7, abs=1e-4)
    assert s["longest_monologue_agent_s"] == pytest.approx(10.0)
    assert s["longest_monologue_customer_s"] == pytest.approx(5.2)
    assert (s["questions_agent"], s["questions_customer"]) == (2, 1)
    assert s["question_rate_agent_per_min"] == pytest.approx(2 / (16.5 / 60), abs=1e-3)
    assert s["question_rate_customer_per_min"] == pytest.approx(1 / (5.2 / 60), abs=1e-3)
    assert s["non_talk_seconds"] == pytest.approx(5.0)  # speech covers 0..20 of 25 s
    assert s["non_talk_share"] == pytest.approx(0.2)
    assert s["interruptions"] == 1  # the 0.2 s overlap is under the threshold, 1.5 s is not
    assert s["words_per_minute"] == pytest.approx(19 / (21.7 / 60), abs=1e-3)  # 12 + 6 + 1
    assert s["turns_per_minute"] == pytest.approx(7.2)


@pytest.mark.parametrize(("threshold", "expected"), [(0.1, 2), (0.5, 1), (1.5, 0), (2.0, 0)])
def test_interruption_threshold_is_strict(threshold, expected):
    # An overlap exactly equal to the threshold (1.5 s at 1.5) is not an interruption.
    assert compute_signals(THREE_TURNS, 25.0, threshold)["interruptions"] == expected


def test_interruptions_ignore_unknown_speakers_and_same_speaker_overlap():
    turns = [
        turn("agent", 0, 10),
        turn("unknown", 5, 12),
        turn("agent", 8, 14),
        turn("customer", 13, 16),
    ]
    # agent/agent overlap is diarisation noise; customer at 13 vs agent end 14 = 1.0 s -> 1.
    assert compute_signals(turns, None)["interruptions"] == 1


@pytest.mark.parametrize(
    ("turns", "agent", "customer"),
    [
        # Adjacent agent turns merge (the pause inside counts); a customer turn ends the run.
        (
            [
                turn("agent", 0, 5),
                turn("agent", 5.5, 12),
                turn("customer", 12, 14),
                turn("agent", 14, 15),
            ],
            12.0,
            2.0,
        ),
        (
            [
                turn("customer", 0, 3),
                turn("customer", 4, 9),
                turn("agent", 9, 11),
                turn("customer", 11, 20),
            ],
            2.0,
            9.0,
        ),
        # An unknown-speaker turn breaks a run too: we cannot say the agent kept the floor.
        ([turn("agent", 0, 4), turn("unknown", 4, 5), turn("agent", 5, 8)], 4.0, 0.0),
        ([], 0.0, 0.0),
    ],
)
def test_longest_monologue(turns, agent, customer):
    s = compute_signals(turns, None)
    assert s["longest_monologue_agent_s"] == pytest.approx(agent)
    assert s["longest_monologue_customer_s"] == pytest.approx(customer)


@pytest.mark.parametrize(
    ("duration", "non_talk", "share"),
    [
        (40.0, 20.0, 0.5),  # speech covers 0..10 and 20..30, the contained turn counts once
        (None, 10.0, 1 / 3),  # no provider duration: the call ends with the last turn
        (25.0, 10.0, 1 / 3),  # a provider duration shorter than the turns is overridden
    ],
)
def test_non_talk_counts_overlaps_once(duration, non_talk, share):
    turns = [turn("agent", 0, 10), turn("customer", 5, 8), turn("agent", 20, 30)]
    s = compute_signals(turns, duration)
    assert s["non_talk_seconds"] == pytest.approx(non_talk)
    assert s["non_talk_share"] == pytest.approx(share, abs=1e-4)
    assert s["talk_seconds"] == pytest.approx(23.0)  # 10 + 3 + 10, simultaneous speech twice


@pytest.mark.parametrize(
    ("duration", "non_talk", "share", "tpm"),
    [
        (60.0, 60.0, 1.0, 0.0),
        (None, 0.0, None, None),
        (0.0, 0.0, None, None),
    ],
)
def test_empty_turns(duration, non_talk, share, tpm):
    s = compute_signals([], duration)
    assert s["talk_seconds"] == 0.0 and s["talk_ratio"] is None
    assert s["questions_agent"] == s["questions_customer"] == s["interruptions"] == 0
    assert s["question_rate_agent_per_min"] is None and s["words_per_minute"] is None
    assert (s["non_talk_seconds"], s["non_talk_share"], s["turns_per_minute"]) == (
        non_talk,
        share,
        tpm,
    )


def test_only_unknown_speakers_has_talk_but_no_ratio():
    s = compute_signals([turn("unknown", 0, 30, "one two three")], 60.0)
    assert s["talk_seconds"] == 30.0 and s["talk_ratio"] is None
    assert s["words_per_minute"] == pytest.approx(6.0)


def test_untimed_turns_count_questions_and_turns_only():
    turns = [
        {"role": "customer", "start_s": None, "end_s": None, "text": "Price?? And EMI?"},
        turn("agent", 0, 60, "Yes."),
    ]
    s = compute_signals(turns, 60.0)
    assert s["questions_customer"] == 2  # "??" is one question
    assert s["question_rate_customer_per_min"] is None  # no timed customer speech
    assert s["turns_per_minute"] == pytest.approx(2.0)
    assert s["words_per_minute"] == pytest.approx(1.0)


def test_reversed_timestamps_and_input_order_do_not_matter():
    turns = [turn("customer", 5, 9, "ok"), turn("agent", 0, 5, "hi"), turn("agent", 12, 11, "x")]
    s = compute_signals(turns, None)
    assert s["agent_talk_seconds"] == pytest.approx(5.0)  # the 12..11 turn is zero-length
    assert s["non_talk_seconds"] == pytest.approx(3.0)  # call ends at 12


def test_text_without_timestamps_is_unmeasured_not_zero():
    turns = [
        {"role": "agent", "text": "Hello, this is Riya from Acme. Is now a good time?"},
        {"role": "customer", "text": "Yes. What is the price?"},
        {"role": "agent", "text": "It starts at forty lakh."},
    ]
    s = compute_signals(turns, 90.0)
    for key in (
        "talk_seconds",
        "agent_talk_seconds",
        "customer_talk_seconds",
        "talk_ratio",
        "longest_monologue_agent_s",
        "longest_monologue_customer_s",
        "non_talk_seconds",
        "non_talk_share",
        "interruptions",
        "words_per_minute",
        "question_rate_agent_per_min",
        "question_rate_customer_per_min",
    ):
        assert s[key] is None, key
    assert s["questions_agent"] == 1 and s["questions_customer"] == 1
    assert s["turns_per_minute"] == pytest.approx(2.0)
    assert s["agent_word_share"] == pytest.approx(16 / 21, abs=1e-4)


def test_word_share_is_kept_beside_the_timed_ratio():
    s = compute_signals(
        [turn("agent", 0, 10, "one two three"), turn("customer", 10, 12, "four")], 12
    )
    assert s["talk_ratio"] == pytest.approx(10 / 12, abs=1e-4)
    assert s["agent_word_share"] == pytest.approx(0.75)
