"""The redaction engine: a tenant's `privacy:` config applied to one call's turns.

A call is redacted as one text (turns joined by a paragraph separator) so that a number split
over two turns ("my number is nine eight seven six five" / "four three two one zero") is found
whole; each piece is then replaced in its own turn by the same placeholder. The Presidio engines
are built once per process; a `Redactor` per config is cached.
"""

import bisect
import os
from dataclasses import dataclass, field
from functools import cache

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NoOpNlpEngine
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from callintel_dagster.lib.tenants.privacy_config import PrivacyConfig
from callintel_dagster.privacy.masking import canonical, hashed_placeholder
from callintel_dagster.privacy.recognizers import build_recognizers

_TURN_BREAK = "\u2029"  # paragraph separator: whitespace to the recognisers, never in a placeholder


class PrivacyError(ValueError):
    """The privacy config cannot be applied (e.g. the hash salt's variable is not set)."""


@dataclass(frozen=True)
class RedactedCall:
    turns: list[str]
    counts: dict[str, int] = field(default_factory=dict)  # entity -> mentions replaced
    mapping_size: int = 0  # distinct values replaced


@dataclass(frozen=True)
class Finding:
    entity: str
    start: int
    end: int


def _joined(turns: list[str]) -> str:
    if isinstance(turns, str):
        raise PrivacyError("redact_turns takes a list of turns, not one string")
    for index, turn in enumerate(turns):
        if not isinstance(turn, str):
            raise PrivacyError(f"turn {index} is {type(turn).__name__}, not text")
    return _TURN_BREAK.join(t.replace(_TURN_BREAK, "\n") for t in turns)


class _ContextFreeEnhancer:
    """Presidio's default enhancer, minus its deep copy of every result when no recogniser has
    context words (none of ours has: the enhancer then skips every result, so the copy is its
    only effect, ~10% of a call's redaction)."""

    def __init__(self, default) -> None:
        self._default = default

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
        if any(r.context for r in recognizers):
            return self._default.enhance_using_context(
                text, raw_results, nlp_artifacts, recognizers, context
            )
        return raw_results


@cache
def _engines() -> tuple[AnalyzerEngine, AnonymizerEngine]:
    # No spaCy pipeline: every recogniser is a pattern or a validator, so NLP artifacts would
    # only cost time (and en_core_web_lg, Presidio's default, is a run-time download).
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    registry = RecognizerRegistry(recognizers=build_recognizers(), supported_languages=["en"])
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp)
    analyzer.context_aware_enhancer = _ContextFreeEnhancer(analyzer.context_aware_enhancer)
    return analyzer, AnonymizerEngine()


class Redactor:
    _cache: dict[tuple[PrivacyConfig, bytes | None], "Redactor"] = {}

    def __init__(self, cfg: PrivacyConfig, salt: bytes | None) -> None:
        """Use `for_config`, which reads the salt; a hash without one would be reversible."""
        if cfg.method == "hash" and cfg.enabled and not salt:
            raise PrivacyError("privacy: method 'hash' needs a salt")
        self.cfg = cfg
        self._salt = salt
        self._analyzer, self._anonymizer = _engines()

    @classmethod
    def for_config(cls, cfg: PrivacyConfig) -> "Redactor":
        salt = _salt(cfg)  # read at call time: a rotated salt is a new redactor
        key = (cfg, salt)
        if key not in cls._cache:
            cls._cache[key] = cls(cfg, salt)
        return cls._cache[key]

    def redact_text(self, text: str) -> str:
        return self.redact_turns([text]).turns[0]

    def find(self, turns: list[str]) -> list[Finding]:
        """Entities in the call, as spans of the turns joined by one separator character."""
        if not self.cfg.enabled or not self.cfg.entities:
            return []
        found = self._analyzer.analyze(
            _joined(turns), language="en", entities=list(self.cfg.entities)
        )
        return [Finding(r.entity_type, r.start, r.end) for r in _without_overlaps(found)]

    def redact_turns(self, turns: list[str]) -> RedactedCall:
        findings = self.find(turns)
        if not findings:
            return RedactedCall(list(turns))
        text = _joined(turns)
        labels: dict[tuple[str, str], str] = {}
        counts: dict[str, int] = {}
        pieces, operators = [], {}
        for finding in findings:
            key = (finding.entity, canonical(finding.entity, text[finding.start : finding.end]))
            if key not in labels:
                labels[key] = self._placeholder(key, labels)
            counts[finding.entity] = counts.get(finding.entity, 0) + 1
            label = labels[key]
            operators[label] = OperatorConfig("replace", {"new_value": label})
            pieces += [RecognizerResult(label, s, e, 1.0) for s, e in _per_turn(text, finding)]
        redacted = self._anonymizer.anonymize(text, pieces, operators).text
        return RedactedCall(redacted.split(_TURN_BREAK), counts, len(labels))

    def _placeholder(self, key: tuple[str, str], labels: dict) -> str:
        entity, value = key
        if self.cfg.method == "hash":
            return hashed_placeholder(entity, value, self._salt or b"")  # salt checked in init
        n = 1 + sum(1 for other, _ in labels if other == entity)
        return f"<{entity}_{n}>"


def _salt(cfg: PrivacyConfig) -> bytes | None:
    if cfg.method != "hash" or not cfg.enabled:
        return None
    value = os.environ.get(cfg.hash_salt_env or "")
    if not value:
        raise PrivacyError(f"privacy: hash_salt_env {cfg.hash_salt_env} is not set or empty")
    return value.encode()


def _without_overlaps(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Longest span first where two recognisers claim overlapping text (a UPI id holds a phone)."""
    starts: list[int] = []  # kept spans, sorted and disjoint: a neighbour check suffices
    kept: list[RecognizerResult] = []
    for r in sorted(results, key=lambda r: (-(r.end - r.start), -r.score, r.start)):
        i = bisect.bisect_left(starts, r.start)
        if (i and kept[i - 1].end > r.start) or (i < len(kept) and kept[i].start < r.end):
            continue
        starts.insert(i, r.start)
        kept.insert(i, r)
    return kept


def _per_turn(text: str, result: Finding) -> list[tuple[int, int]]:
    """The entity's pieces in each turn it spans, without the turn breaks between them."""
    spans, start = [], result.start
    while (cut := text.find(_TURN_BREAK, start, result.end)) != -1:
        if text[start:cut].strip():
            spans.append((start, len(text[:cut].rstrip())))
        start = cut + 1
    while start < result.end and text[start].isspace():
        start += 1
    spans.append((start, result.end))
    return spans
