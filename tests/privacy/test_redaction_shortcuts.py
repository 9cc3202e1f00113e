"""The engine's shortcuts find exactly what Presidio's plain engine finds.

The redactor skips the e-mail and UPI patterns on text without "@" or a spoken "at" (e-mail: or
without a dot then a top-level domain; UPI: or without a known handle after the "at"), and skips
Presidio's context enhancer (none of our recognisers has context words). Both must be invisible:
the same spans and scores as an engine built from plain PatternRecognizers and Presidio's default
enhancer, over the labelled snippets and texts at the edge of the pre-check.
"""

from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine

from bench.redaction import ENTITIES, load_rows
from callintel_dagster.privacy.recognizers import build_recognizers
from callintel_dagster.privacy.redactor import _TURN_BREAK, _engines

EDGE_TEXTS = [
    "write to rahul dot sharma AT gmail dot com",
    "rahul.sharma\u2029at\u2029gmail.com",
    "priya@okhdfcbank or priya @ ybl",
    "sneha at the rate of yahoo dot co dot in",
    "that cat sat at home",  # "at" inside words only, then a real one
    "my id is vikram_r@paytm, thanks",
    "no mail here, call 98765 43210",
    # the e-mail pattern also needs a dot then a TLD, the spoken UPI form a known handle
    "reach me at ravi dot kumar at gmail dot co dot uk",
    "meet at the office. In the evening, ok",  # "at" and ". in": checked, nothing found
    "ping me at noon dot com",
    "pay to ravi at the rate okicici please",
    "send it to vikram at ybl",
    "i am at home at sbi branch",
]


def _plain_engine() -> AnalyzerEngine:
    recognizers = [
        PatternRecognizer(
            r.supported_entities[0],
            name=r.name,
            patterns=r.patterns,
            global_regex_flags=r.global_regex_flags,
        )
        if isinstance(r, PatternRecognizer)
        else r
        for r in build_recognizers()
    ]
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp)


def _spans(engine: AnalyzerEngine, text: str) -> list[tuple]:
    found = engine.analyze(text, language="en", entities=list(ENTITIES))
    return sorted((r.entity_type, r.start, r.end, r.score) for r in found)


def test_shortcut_engine_finds_what_the_plain_engine_finds():
    fast, plain = _engines()[0], _plain_engine()
    texts = [_TURN_BREAK.join(row["turns"]) for row in load_rows()] + EDGE_TEXTS
    found_any = 0
    for text in texts:
        expected = _spans(plain, text)
        assert _spans(fast, text) == expected, text[:60]
        found_any += bool(expected)
    assert found_any > 250  # the comparison saw real findings, not only empty lists
