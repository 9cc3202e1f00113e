import pytest

from callintel_dagster.lib.tenants.privacy_config import ALL_ENTITIES, PrivacyConfig
from callintel_dagster.privacy import PrivacyError, Redactor

MASK_ALL = PrivacyConfig(entities=ALL_ENTITIES)


def redact(*turns: str, cfg: PrivacyConfig = MASK_ALL):
    return Redactor.for_config(cfg).redact_turns(list(turns))


def test_one_number_is_one_placeholder_across_turns_and_forms():
    call = redact(
        "my number is nine eight seven six five",
        "four three two one zero",
        "so that is +91 98765 43210, and my office is 080 4123 4567",
        "yes, 98765-43210",
    )
    assert call.turns == [
        "my number is <PHONE_1>",
        "<PHONE_1>",
        "so that is <PHONE_1>, and my office is <PHONE_2>",
        "yes, <PHONE_1>",
    ]
    assert call.counts == {"PHONE": 4} and call.mapping_size == 2  # a split number is one mention


def test_every_entity_family_is_replaced():
    call = redact(
        "I'm Priya Sharma, mail priya dot sharma at the rate gmail dot com",
        "card 4111 1111 1111 1111, aadhaar 2341 2341 2346, PAN abcpd1234f",
        "UPI priya@okhdfcbank, IFSC HDFC0001234 account number 50100123456789",
        "and my social security number is 123-45-6789",
    )
    assert call.turns == [
        "I'm <PERSON_1>, mail <EMAIL_1>",
        "card <CARD_1>, aadhaar <AADHAAR_1>, PAN <PAN_1>",
        "UPI <UPI_1>, IFSC <IFSC_1> account number <ACCOUNT_1>",
        "and my social security number is <SSN_1>",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "your order number is 9876543210, please keep it handy",
        "the flat is 85 lakhs, 1204 sq ft, visit at 10:30 on 24/11/2026",
        "booking reference 2341 2341 2347",  # 12 digits, Verhoeff fails: not an Aadhaar
        "tracking 4111111111111112",  # 16 digits, Luhn fails: not a card
        "I paid 9876543210 rupees",  # an amount, however long
    ],
)
def test_pii_looking_non_pii_is_left_alone(text):
    assert redact(text).turns == [text]


def test_the_config_selects_entities_and_can_switch_redaction_off():
    phones_only = PrivacyConfig(entities=("PHONE",))
    call = redact("mail a@b.com or call 9876543210", cfg=phones_only)
    assert call.turns == ["mail a@b.com or call <PHONE_1>"]
    off = PrivacyConfig(enabled=False)
    assert redact("call 9876543210", cfg=off).turns == ["call 9876543210"]


def test_names_need_the_tenant_to_ask_for_them():
    assert redact("my name is Priya", cfg=PrivacyConfig()).turns == ["my name is Priya"]


def test_hash_is_salted_stable_across_calls_and_never_the_number(monkeypatch):
    cfg = PrivacyConfig(method="hash", hash_salt_env="TEST_PII_SALT")
    monkeypatch.setenv("TEST_PII_SALT", "salt-one")
    first = redact("call 9876543210", cfg=cfg).turns[0]
    again = redact("number is nine eight seven six five four three two one zero", cfg=cfg)
    assert first.startswith("call <PHONE:") and "9876" not in first
    assert again.turns[0].endswith(first.removeprefix("call "))
    monkeypatch.setenv("TEST_PII_SALT", "salt-two")
    assert redact("call 9876543210", cfg=cfg).turns[0] != first


def test_hash_without_its_salt_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TEST_PII_SALT_MISSING", raising=False)
    cfg = PrivacyConfig(method="hash", hash_salt_env="TEST_PII_SALT_MISSING")
    with pytest.raises(PrivacyError, match="TEST_PII_SALT_MISSING is not set"):
        Redactor.for_config(cfg)


def test_bad_turns_are_named_by_index_without_their_text():
    redactor = Redactor.for_config(MASK_ALL)
    with pytest.raises(PrivacyError, match="turn 1 is NoneType"):
        redactor.redact_turns(["call 9876543210", None])  # type: ignore[list-item]
    with pytest.raises(PrivacyError, match="list of turns"):
        redactor.redact_turns("call 9876543210")  # type: ignore[arg-type]


def test_redact_text_and_an_empty_call():
    redactor = Redactor.for_config(MASK_ALL)
    assert redactor.redact_text("ping me at rahul@ybl") == "ping me at <UPI_1>"
    assert redactor.redact_turns([]).turns == []
    assert Redactor.for_config(MASK_ALL) is redactor  # one per config


def test_a_number_interrupted_by_a_whole_turn_is_caught_when_it_was_announced():
    call = redact("my number is 98450", "sorry, the line dropped", "12345")
    assert call.turns[0] == "my number is <PHONE_1>" and call.turns[2] == "<PHONE_2>"
    # without a cue, two stray fragments are not stitched into a phone
    stray = redact("we sold 98450", "sorry, the line dropped", "12345")
    assert stray.turns == ["we sold 98450", "sorry, the line dropped", "12345"]


def test_spaced_upper_case_pan_and_greeted_names():
    call = redact("PAN is AKLPM 4821 Q", "thanks Arjun, and the table 1234 a is free")
    assert call.turns == ["PAN is <PAN_1>", "thanks <PERSON_1>, and the table 1234 a is free"]


def test_capitalised_hinglish_words_are_not_names():
    call = redact("main Nahi aa paunga, mera naam Rakesh hai")
    assert call.turns == ["main Nahi aa paunga, mera naam <PERSON_1> hai"]


def test_a_switched_off_hash_config_needs_no_salt(monkeypatch):
    monkeypatch.delenv("TEST_PII_SALT_OFF", raising=False)
    cfg = PrivacyConfig(enabled=False, method="hash", hash_salt_env="TEST_PII_SALT_OFF")
    assert Redactor.for_config(cfg).redact_text("call 9876543210") == "call 9876543210"


def test_masks_restart_with_every_call_so_calls_cannot_be_linked():
    first = redact("call 9876543210 or 9123456780")
    second = redact("call 9123456780")
    assert first.turns == ["call <PHONE_1> or <PHONE_2>"]
    assert second.turns == ["call <PHONE_1>"]  # not <PHONE_2>: no state kept between calls
