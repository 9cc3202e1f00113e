"""Benchmark: language detection accuracy per label and throughput on this machine.

Runs every candidate over the labelled call-transcript snippets in bench/data/language_samples.jsonl
(labels "en", "hi" = Hindi in Devanagari, "hi-Latn" = romanised Hindi/Hinglish, and a few snippets
in other languages, reported together as "other") and prints accuracy per label, snippets per
second, whole calls per second (40 snippets of one label joined, the size of a real transcript)
and the seconds to build the detector and make its first pass (model loading).

Candidates:
- py3langid, restricted to 12 languages likely on Indian and US calls;
- lingua-language-detector, restricted to English and Hindi;
- the rules of callintel_dagster.lib.transcripts.language (script check, Hinglish lexicon, detector
  for the rest) over lingua, restricted to the same languages as the shipped detector;
- the shipped `detect_language`: the same rules over py3langid.

Neither library knows romanised Hindi, so on "hi-Latn" the bare detectors can only be wrong.
The shipped detector needs only py3langid; lingua is measured when installed:

    .venv/bin/uv pip install lingua-language-detector   # a candidate, temporarily
    .venv/bin/python -m bench.language [--repeat 5] [--errors]
"""

import argparse
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from callintel_dagster.lib.transcripts import language

SAMPLES = Path(__file__).parent / "data" / "language_samples.jsonl"
LABELS = ("en", "hi", "hi-Latn")  # and a few other languages, reported as "other"
PY3LANGID_LANGUAGES = ["en", "hi", "mr", "bn", "ta", "te", "ur", "es", "fr", "de", "pt", "id"]
Detect = Callable[[str], str | None]


def load_rows(path: Path = SAMPLES) -> list[dict]:
    """{"text", "label"[, "split": "holdout"]} per line. The holdout rows were written after the
    lexicon and thresholds were settled and have not been tuned on."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def py3langid_restricted() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(PY3LANGID_LANGUAGES)
    return lambda text: identifier.classify(text)[0]


def lingua_en_hi() -> Detect:
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.HINDI).build()

    def detect(text: str) -> str | None:
        lang = detector.detect_language_of(text)
        return lang.iso_code_639_1.name.lower() if lang else None

    return detect


def rules_over_lingua() -> Detect:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [*language.LATIN_LANGUAGES, *language.OTHER_SCRIPT_LANGUAGES]
    isos = [getattr(IsoCode639_1, c.upper()) for c in codes if hasattr(IsoCode639_1, c.upper())]
    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*isos).build()

    def code_of(text: str, min_confidence: float) -> str | None:
        values = detector.compute_language_confidence_values(text)
        if not values or values[0].value < min_confidence:
            return None
        return values[0].language.iso_code_639_1.name.lower()

    return lambda text: language.classify(text, code_of)


def shipped() -> Detect:
    language._identifier.cache_clear()  # so that model loading is measured
    return language.detect_language


CANDIDATES: dict[str, Callable[[], Detect]] = {
    f"py3langid ({len(PY3LANGID_LANGUAGES)} langs)": py3langid_restricted,
    "lingua (en, hi)": lingua_en_hi,
    "rules + lingua": rules_over_lingua,
    "rules + py3langid (detect_language)": shipped,
}


def long_calls(samples, turns: int = 40) -> list[str]:
    """One whole-call text per main label: `turns` of its snippets, drawn with replacement."""
    rng = random.Random(0)
    calls = []
    for label in LABELS:
        texts = [t for t, lab in samples if lab == label]
        calls.append(" ".join(rng.choice(texts) for _ in range(turns)))
    return calls


def measure(
    factory: Callable[[], Detect], samples, calls, repeat: int, holdout: list[bool]
) -> dict:
    t0 = time.perf_counter()
    detect = factory()
    predictions = [detect(text) for text, _ in samples]  # also loads lazily loaded models
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeat):
        for text, _ in samples:
            detect(text)
    per_second = repeat * len(samples) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for text in calls:
            detect(text)
    calls_per_second = repeat * len(calls) / (time.perf_counter() - t0)
    right, total = Counter(), Counter()
    errors = []
    for (text, label), got in zip(samples, predictions, strict=True):
        group = label if label in LABELS else "other"
        total[group] += 1
        if got == label:
            right[group] += 1
        else:
            errors.append((label, got, text))
    accuracy = {label: right[label] / total[label] for label in total}
    accuracy["all"] = sum(right.values()) / len(samples)
    pairs = zip(samples, predictions, holdout, strict=True)
    held = [got == label for (_, label), got, h in pairs if h]
    accuracy["holdout"] = sum(held) / len(held) if held else float("nan")
    return {
        "accuracy": accuracy,
        "per_second": per_second,
        "calls_per_second": calls_per_second,
        "first_pass": first,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the samples")
    parser.add_argument("--errors", action="store_true", help="list each candidate's mistakes")
    args = parser.parse_args()
    rows = load_rows()
    samples = [(r["text"], r["label"]) for r in rows]
    holdout = [r.get("split") == "holdout" for r in rows]
    calls = long_calls(samples)
    groups = Counter(label if label in LABELS else "other" for _, label in samples)
    print(
        f"{len(samples)} snippets: "
        + ", ".join(f"{k} {n}" for k, n in groups.items())
        + f"; {sum(holdout)} of them holdout (written after tuning)"
    )
    header = (
        f"{'candidate':36} {'en':>6} {'hi':>6} {'hi-Latn':>8} {'other':>6} {'all':>6}"
        f" {'holdout':>7}"
        f" {'snippets/s':>10} {'calls/s':>8} {'load+1st s':>10}"
    )
    print(header)
    print("-" * len(header))
    results = {}
    for name, factory in CANDIDATES.items():
        try:
            r = results[name] = measure(factory, samples, calls, args.repeat, holdout)
        except ImportError as exc:
            print(f"{name:36} not installed ({exc.name})")
            continue
        a = r["accuracy"]
        print(
            f"{name:36} {a['en']:6.1%} {a['hi']:6.1%} {a['hi-Latn']:8.1%} {a['other']:6.1%}"
            f" {a['all']:6.1%} {a['holdout']:7.1%}"
            f" {r['per_second']:10,.0f} {r['calls_per_second']:8,.0f}"
            f" {r['first_pass']:10.2f}"
        )
    if args.errors:
        for name, r in results.items():
            print(f"\n{name}: {len(r['errors'])} wrong")
            for label, got, text in r["errors"]:
                print(f"  {label:7} -> {got!s:7} {text[:90]}")


if __name__ == "__main__":
    main()
