"""Benchmark: the redaction engine's precision and recall per entity, and its throughput.

Scores callintel_dagster.privacy over the labelled snippets in bench/data/pii_snippets.jsonl
(English and Hinglish; numbers written, grouped and spoken in English or Hindi words, split over
turns; ~27% snippets with no PII or with PII-looking non-PII: prices, dates, order ids, invalid
Aadhaar and card numbers). A snippet is `text` or `turns`; entity offsets index the turns joined
by one character. A found span counts when it overlaps a labelled span of the same entity
("redacted" counts overlap with any entity: what a reader of the redacted text would see).

Snippets with an even id are the development half (the recognisers were tuned looking at its
errors); odd ids are held out (never inspected). Both halves come from one template generator,
so the held-out half shares their shapes; the 40 `hand-` snippets were written by hand after the
tuning, with tricks the templates lack, and are reported apart as the least flattering figure.

Throughput: the snippets' turns are cut into calls of 15 turns and redacted as calls, against two
baselines in the same run: tokenising the call, and a regex-only pass (one phone and one e-mail
regex). Also printed: the seconds to import the engine and to build it (Presidio engines).

    .venv/bin/python -m bench.redaction [--repeat 3] [--errors]
"""

import argparse
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

SNIPPETS = Path(__file__).parent / "data" / "pii_snippets.jsonl"
ENTITIES = ("PHONE", "EMAIL", "CARD", "AADHAAR", "PAN", "UPI", "IFSC", "ACCOUNT", "SSN", "PERSON")
TURNS_PER_CALL = 15


def load_rows(path: Path = SNIPPETS) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        if row["id"].startswith("hand-"):
            row["split"] = "handwritten"
        else:
            row["split"] = "dev" if int(row["id"].rsplit("-", 1)[1]) % 2 == 0 else "heldout"
        row["turns"] = row.get("turns") or [row["text"]]
    return rows


def _overlaps(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def score(rows: list[dict], find, show_errors: bool = False) -> dict[str, dict[str, int]]:
    """Per entity: gold, found, recalled (gold hit by the same entity), correct, redacted."""
    tally = {e: dict(gold=0, found=0, recalled=0, correct=0, redacted=0) for e in ENTITIES}
    for row in rows:
        gold = row["entities"]
        found = [{"type": f.entity, "start": f.start, "end": f.end} for f in find(row["turns"])]
        text = "\n".join(row["turns"])
        for g in gold:
            t = tally[g["type"]]
            t["gold"] += 1
            t["recalled"] += any(f["type"] == g["type"] and _overlaps(f, g) for f in found)
            t["redacted"] += any(_overlaps(f, g) for f in found)
            if show_errors and not any(f["type"] == g["type"] and _overlaps(f, g) for f in found):
                print(f"  MISS {row['id']} {g['type']}: {text[g['start'] : g['end']]!r}")
        for f in found:
            t = tally[f["type"]]
            t["found"] += 1
            ok = any(g["type"] == f["type"] and _overlaps(f, g) for g in gold)
            t["correct"] += ok
            if show_errors and not ok:
                print(f"  FALSE {row['id']} {f['type']}: {text[f['start'] : f['end']]!r}")
    return tally


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def print_table(title: str, tally: dict[str, dict[str, int]]) -> None:
    print(f"\n{title}")
    print(f"{'entity':<9}{'gold':>6}{'found':>7}{'prec':>7}{'recall':>8}{'F1':>7}{'redacted':>10}")
    total = dict(gold=0, found=0, recalled=0, correct=0, redacted=0)
    for entity, t in [*tally.items(), ("overall", total)]:
        if entity != "overall":
            for k in total:
                total[k] += t[k]
        p, r = _ratio(t["correct"], t["found"]), _ratio(t["recalled"], t["gold"])
        f1 = 2 * p * r / (p + r) if p + r else float("nan")
        red = _ratio(t["redacted"], t["gold"])
        print(f"{entity:<9}{t['gold']:>6}{t['found']:>7}{p:>7.3f}{r:>8.3f}{f1:>7.3f}{red:>10.3f}")


def calls_of(rows: list[dict]) -> list[list[str]]:
    turns = [turn for row in rows for turn in row["turns"]]
    return [turns[i : i + TURNS_PER_CALL] for i in range(0, len(turns), TURNS_PER_CALL)]


_WORDS = re.compile(r"\w+")
_PHONE_RX = re.compile(r"\+?\d[\d\s\-]{8,}\d")
_EMAIL_RX = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Finding:
    entity: str
    start: int
    end: int


def regex_only_find(turns: list[str]) -> list:
    """The baseline: what a plain digits-and-@ regex pass finds (written forms only)."""
    text = "\n".join(turns)
    return [
        Finding(entity, m.start(), m.end())
        for entity, rx in (("PHONE", _PHONE_RX), ("EMAIL", _EMAIL_RX))
        for m in rx.finditer(text)
    ]


def throughput(calls: list[list[str]], fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for call in calls:
            fn(call)
    return len(calls) * repeat / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the calls")
    parser.add_argument("--errors", action="store_true", help="print the dev half's errors")
    args = parser.parse_args()

    import callintel_dagster  # noqa: F401  (dagster: paid by every callintel process anyway)

    started = time.perf_counter()
    from callintel_dagster.lib.tenants.privacy_config import PrivacyConfig
    from callintel_dagster.privacy import Redactor

    imported = time.perf_counter()
    redactor = Redactor.for_config(PrivacyConfig(entities=ENTITIES))
    redactor.redact_text("warm-up 98765 43210")
    built = time.perf_counter()
    print(f"import {imported - started:.2f}s, build + first call {built - imported:.2f}s")

    rows = load_rows()
    for split in ("dev", "heldout", "handwritten"):
        part = [r for r in rows if r["split"] == split]
        if args.errors and split == "dev":
            print("\ndev errors:")
        tally = score(part, redactor.find, show_errors=args.errors and split == "dev")
        print_table(f"{split}: {len(part)} snippets", tally)
    print_table(f"all: {len(rows)} snippets", score(rows, redactor.find))

    baseline = score(rows, regex_only_find)
    for entity in ("PHONE", "EMAIL"):
        t = baseline[entity]
        p, r = _ratio(t["correct"], t["found"]), _ratio(t["recalled"], t["gold"])
        print(f"regex-only baseline, all snippets: {entity} precision {p:.3f} recall {r:.3f}")

    calls = calls_of(rows)
    print(f"\nthroughput, {len(calls)} calls of {TURNS_PER_CALL} turns, {args.repeat} passes:")
    for label, fn in [
        ("tokenise only", lambda call: _WORDS.findall("\n".join(call))),
        ("regex-only pass", regex_only_find),
        ("callintel redactor", redactor.redact_turns),
    ]:
        print(f"  {label:<20}{throughput(calls, fn, args.repeat):>10.1f} calls/s")


if __name__ == "__main__":
    main()
