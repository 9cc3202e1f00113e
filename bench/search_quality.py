"""Benchmark: retrieval quality of search (BM25, vectors, hybrid) per embedding model, and what
each model costs in CPU on this machine.

The corpus is fixed and regenerates identically: the synthetic calls whose parameters head
bench/data/search_queries.jsonl (one tenant, a few days, a fixed seed), chunked the way the index
chunks them (lib/transcripts/chunking.py). That file holds the labelled queries (English and
Hinglish), each with the calls that actually say what it asks for and a verbatim quote from each.

For every embedder (providers/embeddings.py: MiniLM int8 ONNX and the model2vec static model) the
corpus is embedded and written to a per-tenant index (search/index.py) under bench/out/, and every
query runs through `search()` (search/query.py) in each mode. Reported per configuration:

- R@10: share of a query's relevant calls among the first 10 distinct calls, out of
  min(10, relevant calls), so a query with 30 relevant calls scores 1.0 when all 10 are relevant;
- MRR@10: 1 / rank of the first relevant call among the first 10 distinct calls (0 if none);
- both also for the English and the Hinglish queries alone, and for "keyword" and "paraphrase"
  queries (paraphrase: under half of the query's words occur in the quotes of its relevant
  calls, i.e. the query says it in other words than the calls);
- per embedder: chunks/s and CPU-seconds per 1,000 chunks embedding the corpus (timed over
  repeated passes, CPU time of the whole process so all threads count), and index build time.

Hits are chunks; calls are ranked by their best chunk (search asks for `--chunks` chunks, enough
for 10 distinct calls). Then "quality per CPU-second" (quality gained over BM25 alone per
CPU-second of embedding per 1,000 chunks) and the recommended defaults, chosen by the rules in
`recommend` from the figures of this run.

    .venv/bin/python -m bench.search_quality [--models minilm static] [--min-seconds 3]
"""

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

LABELS = Path(__file__).parent / "data" / "search_queries.jsonl"
OUT = Path(__file__).parent / "out" / "search_quality"
K = 10
MODELS = ("minilm", "static")
# The default is the best configuration by R@10 + MRR@10 unless a cheaper one (less embedding CPU)
# is within this margin of it: with ~60 queries a smaller gap is within one or two queries' noise.
MARGIN = 0.02
RRF_K = 60  # the usual reciprocal-rank-fusion constant (LanceDB's RRFReranker default)
FUSE_BM25_WEIGHT = 2.0  # the bench-side check: BM25's ranks count twice


# --- the corpus -----------------------------------------------------------------------------


def load_labels(path: Path = LABELS) -> tuple[dict, list[dict]]:
    """(corpus parameters, queries). The first line is {"corpus": {...}}; every other line is a
    query: {"id", "lang", "query", "criterion", "relevant": [call ids], "evidence": {id: quote}}."""
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines[0]["corpus"], lines[1:]


def corpus_calls(params: dict) -> list[dict]:
    """The synthetic calls the labels were written on, in day and call order."""
    from callintel_dagster.lib.synthetic import generate_day

    calls = []
    for day in corpus_days(params):
        calls += generate_day(
            params["tenant_id"],
            day,
            params["timezone"],
            calls_per_day=params["calls_per_day"],
            leads_per_day=params["leads_per_day"],
            seed=params["seed"],
            spoken_pii=False,  # the labels predate the synthetic calls' spoken personal data
        ).calls
    return calls


def corpus_days(params: dict) -> list[date]:
    first = date.fromisoformat(params["first_day"])
    return [first + timedelta(days=i) for i in range(params["days"])]


def transcripts_digest(calls: list[dict]) -> str:
    """sha256 of every call id and transcript: the labels hold only while this is unchanged."""
    h = hashlib.sha256()
    for c in calls:
        h.update(f"{c['call_id']}\n{c['transcript_text']}\n".encode())
    return h.hexdigest()


def corpus_chunks(calls: list[dict], chunk_words: int) -> list[dict]:
    """Index rows without vectors: each call's turns chunked as the index does, with its day."""
    from callintel_dagster.lib.transcripts.chunking import chunk_turns

    rows = []
    for call in calls:
        if not call["turns"]:
            continue
        day = call["call_id"].rsplit("-", 2)[1]  # <tenant>-C-<yyyymmdd>-<n>
        for chunk in chunk_turns(call["call_id"], call["turns"], chunk_words):
            rows.append(
                {
                    **chunk,
                    "speaker": chunk.get("speaker") or call["turns"][0]["role"],
                    "chunk_id": f"{call['call_id']}:{chunk['chunk_index']}",
                    "partition_date": f"{day[:4]}-{day[4:6]}-{day[6:]}",
                    "agent": call["agent_name"],
                    "sentiment": None,
                    "contact_tag": None,
                    "quality_score": None,
                    "objections": [],
                    "language": call["language"],
                }
            )
    return rows


# --- building and timing --------------------------------------------------------------------


@dataclass
class Built:
    model: str
    dim: int
    load_s: float  # loading the model (once per process)
    embed_wall_s: float  # embedding the corpus once, inside the build
    embed_cpu_s: float
    write_s: float  # LanceDB writes and the BM25 (and ANN) index refresh
    chunks_per_s: float = 0.0  # from the repeated throughput passes
    cpu_s_per_1k: float = 0.0
    passes: int = 0

    @property
    def build_s(self) -> float:
        return self.embed_wall_s + self.write_s


def build_index(path: Path, tenant_id: str, rows: list[dict], name: str):
    """Embed `rows` with embedder `name` and write them, day by day, to a fresh index at `path`."""
    import lancedb  # noqa: F401  (imported before the clock starts: the first write would pay it)

    from callintel_dagster.providers.embeddings import embedder_named
    from callintel_dagster.search.index import ChunkIndex

    t0 = time.perf_counter()
    embedder = embedder_named(name)
    embedder.embed(["warm up"])
    load_s = time.perf_counter() - t0
    shutil.rmtree(path, ignore_errors=True)
    index = ChunkIndex(str(path))
    w0, c0 = time.perf_counter(), time.process_time()
    vectors = embedder.embed([r["text"] for r in rows])
    embed_wall, embed_cpu = time.perf_counter() - w0, time.process_time() - c0
    w1 = time.perf_counter()
    by_day: dict[str, list[dict]] = {}
    for row, vector in zip(rows, vectors.tolist(), strict=True):
        full = {**row, "tenant_id": tenant_id, "model": embedder.model, "vector": vector}
        by_day.setdefault(row["partition_date"], []).append(full)
    for day, day_rows in sorted(by_day.items()):
        index.replace_day(tenant_id, day, day_rows, embedder.dim)
    index.refresh(tenant_id)
    write_s = time.perf_counter() - w1
    built = Built(embedder.model, embedder.dim, load_s, embed_wall, embed_cpu, write_s)
    return index, embedder, built


def measure_throughput(embedder, texts: list[str], built: Built, min_seconds: float) -> None:
    """Embed the corpus again until the timed passes, the build's included, reach `min_seconds`
    (MiniLM's build pass alone takes longer than that on 2 cores: the run stays short)."""
    passes, wall, cpu = 1, built.embed_wall_s, built.embed_cpu_s
    while wall < min_seconds:
        w0, c0 = time.perf_counter(), time.process_time()
        embedder.embed(texts)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        passes += 1
    built.passes = passes
    built.chunks_per_s = passes * len(texts) / wall
    built.cpu_s_per_1k = cpu / (passes * len(texts)) * 1000


# --- evaluating -----------------------------------------------------------------------------


@dataclass
class Scores:
    name: str
    model: str | None  # the embedder whose CPU it costs (None: BM25 alone)
    per_query: dict[str, tuple[float, float]] = field(default_factory=dict)  # id -> (R@10, RR)
    chunks: dict[str, list[str]] = field(default_factory=dict)  # id -> chunk ids, best first
    query_ms: list[float] = field(default_factory=list)

    def mean(self, ids: list[str]) -> tuple[float, float]:
        """(R@10, MRR@10) over the queries `ids`."""
        if not ids:
            return 0.0, 0.0
        return (
            sum(self.per_query[i][0] for i in ids) / len(ids),
            sum(self.per_query[i][1] for i in ids) / len(ids),
        )

    def quality(self, ids: list[str]) -> float:
        """One figure to rank by: the mean of R@10 and MRR@10."""
        return sum(self.mean(ids)) / 2


def query_kind(query: dict) -> str:
    """ "paraphrase" when under half of the query's words (stemmed, stop words aside) occur in the
    quotes of its relevant calls, else "keyword"."""
    from callintel_dagster.search.query import query_terms

    terms = query_terms(query["query"])
    quoted = set().union(*(query_terms(t) for t in query["evidence"].values()))
    return "paraphrase" if len(terms & quoted) < 0.5 * len(terms) else "keyword"


def ranked_calls(hits) -> list[str]:
    """Distinct call ids in the order of each call's best chunk."""
    return list(dict.fromkeys(h.call_id for h in hits))


def score_query(calls: list[str], relevant: set[str], k: int = K) -> tuple[float, float]:
    top = calls[:k]
    found = sum(1 for c in top if c in relevant)
    recall = found / min(k, len(relevant))
    rr = next((1.0 / (i + 1) for i, c in enumerate(top) if c in relevant), 0.0)
    return recall, rr


def evaluate(
    index, embedder, tenant_id: str, queries: list[dict], mode: str, name: str, chunks: int
) -> Scores:
    from callintel_dagster.search.query import search

    scores = Scores(name, None if mode == "bm25" else embedder.model)
    with _quiet_stderr():
        for q in queries:
            t0 = time.perf_counter()
            hits = search(index, embedder, tenant_id, q["query"], limit=chunks, mode=mode)
            scores.query_ms.append((time.perf_counter() - t0) * 1000)
            scores.per_query[q["id"]] = score_query(ranked_calls(hits), set(q["relevant"]))
            scores.chunks[q["id"]] = [h.chunk_id for h in hits]
    return scores


@contextlib.contextmanager
def _quiet_stderr():
    """LanceDB's Rust logger writes a deprecation notice to fd 2 on every hybrid or vector query
    (no setting turns it off); it would bury the table."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def fuse(bm25: Scores, vector: Scores, queries: list[dict], name: str, w_bm25: float) -> Scores:
    """Weighted reciprocal-rank fusion of the same two ranked lists search() fuses (k = 60), done
    here: whether leaning on BM25 rescues the hybrid. Not a search() mode."""
    out = Scores(name, vector.model)
    for q in queries:
        fused: dict[str, float] = {}
        for weight, ranked in ((w_bm25, bm25.chunks[q["id"]]), (1.0, vector.chunks[q["id"]])):
            for rank, chunk_id in enumerate(ranked):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
        order = sorted(fused, key=lambda c: -fused[c])
        calls = list(dict.fromkeys(c.rsplit(":", 1)[0] for c in order))  # <call_id>:<index>
        out.per_query[q["id"]] = score_query(calls, set(q["relevant"]))
    return out


def recommend(results: list[Scores], built: dict[str, Built], ids: list[str]) -> list[str]:
    """The recommended defaults, by two rules (quality = mean of R@10 and MRR@10):

    1. search mode: the best quality, unless a cheaper configuration (less embedding CPU; BM25
       alone costs none) comes within MARGIN of it;
    2. embedding model: a model earns its CPU only where its hybrid beats BM25 alone by more than
       MARGIN; among those, the most quality gained per CPU-second; when none does, the cheapest
       (vectors then serve what BM25 cannot: paraphrases, and `ask`'s retrieval)."""

    def cost(s: Scores) -> float:
        return 0.0 if s.model is None else built[s.model].cpu_s_per_1k

    lines = []
    best = max(results, key=lambda s: s.quality(ids))
    near = [s for s in results if s.quality(ids) >= best.quality(ids) - MARGIN]
    mode = min(near, key=lambda s: (cost(s), -s.quality(ids)))
    why = (
        "the best quality, nothing cheaper within the margin"
        if mode is best
        else f"within {MARGIN} of the best ({best.name}, {best.quality(ids):.3f}) at "
        f"{cost(mode):.3f} instead of {cost(best):.3f} CPU-s per 1,000 chunks"
    )
    lines.append(f"search mode: {mode.name} (quality {mode.quality(ids):.3f}): {why}")

    bm25 = next(s for s in results if s.model is None).quality(ids)
    hybrids = [s for s in results if s.name.startswith("hybrid")]
    earning = [s for s in hybrids if s.quality(ids) - bm25 > MARGIN]
    if earning:
        pick = max(earning, key=lambda s: (s.quality(ids) - bm25) / cost(s))
        why = (
            f"its hybrid beats BM25 alone by {pick.quality(ids) - bm25:+.3f}, "
            f"{(pick.quality(ids) - bm25) / cost(pick):+.4f} per CPU-s / 1k chunks"
        )
    else:
        pick = min(hybrids, key=cost)
        gains = ", ".join(f"{s.name.split(' (')[0]} {s.quality(ids) - bm25:+.3f}" for s in hybrids)
        why = (
            f"no model's hybrid beats BM25 alone by more than {MARGIN} ({gains}), so the extra "
            "CPU buys nothing on average: the cheapest"
        )
    lines.append(f"embedding model: {pick.model}: {why}")
    return lines


# --- the run --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--min-seconds", type=float, default=3.0, help="per throughput test")
    parser.add_argument("--chunks", type=int, default=40, help="chunks asked of search per query")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--per-query", action="store_true", help="print each query's R@10")
    args = parser.parse_args()

    started = time.perf_counter()
    params, queries = load_labels(args.labels)
    calls = corpus_calls(params)
    digest = transcripts_digest(calls)
    if digest != params.get("transcripts_sha256"):
        print(
            "WARNING: the synthetic transcripts differ from those the labels were written on "
            f"({digest[:12]} != {str(params.get('transcripts_sha256'))[:12]}): relabel first"
        )
    rows = corpus_chunks(calls, params["chunk_words"])
    texts = [r["text"] for r in rows]
    tenant = params["tenant_id"]
    kinds = {q["id"]: query_kind(q) for q in queries}
    groups = {"all": [q["id"] for q in queries]}
    for lang in sorted({q["lang"] for q in queries}):
        groups[lang] = [q["id"] for q in queries if q["lang"] == lang]
    for kind in ("keyword", "paraphrase"):
        groups[kind] = [q["id"] for q in queries if kinds[q["id"]] == kind]
    with_turns = sum(1 for c in calls if c["turns"])
    print(
        f"corpus: tenant {tenant}, {len(corpus_days(params))} days, {len(calls)} calls, "
        f"{with_turns} with transcripts, {len(rows)} chunks (<= {params['chunk_words']} words); "
        f"{len(queries)} queries ({', '.join(f'{len(v)} {k}' for k, v in groups.items())}); "
        f"{os.cpu_count()} cores"
    )

    results: list[Scores] = []
    built: dict[str, Built] = {}
    for i, name in enumerate(args.models):
        index, embedder, b = build_index(args.out / name, tenant, rows, name)
        measure_throughput(embedder, texts, b, args.min_seconds)
        built[b.model] = b
        if i == 0:  # BM25 reads the text alone: the same with either model's table
            results.append(evaluate(index, embedder, tenant, queries, "bm25", "BM25", args.chunks))
        for mode in ("vector", "hybrid"):
            label = f"{mode} {name} ({b.model})"
            results.append(evaluate(index, embedder, tenant, queries, mode, label, args.chunks))

    print(
        "\nretrieval quality: R@10 / MRR@10 (R@10 out of min(10, relevant calls)); "
        "queries per group in brackets"
    )
    print(
        f"{'configuration':<52}"
        + "".join(f"{f'{g} ({len(ids)})':>16}" for g, ids in groups.items())
        + f"{'ms/query':>10}"
    )
    for s in results:
        cells = "".join(f"{_pair(s.mean(ids)):>16}" for ids in groups.values())
        ms = sorted(s.query_ms)[len(s.query_ms) // 2]
        print(f"{s.name:<52}{cells}{ms:>10.1f}")

    print(f"\nembedding cost on this machine ({len(rows)} chunks per pass)")
    print(
        f"{'model':<40}{'dim':>5}{'chunks/s':>10}{'CPU-s/1k':>10}{'passes':>8}"
        f"{'load s':>8}{'build s':>9}{'= embed':>9}{'+ write':>9}"
    )
    for b in built.values():
        print(
            f"{b.model:<40}{b.dim:>5}{b.chunks_per_s:>10.0f}{b.cpu_s_per_1k:>10.3f}"
            f"{b.passes:>8}{b.load_s:>8.2f}{b.build_s:>9.2f}{b.embed_wall_s:>9.2f}"
            f"{b.write_s:>9.2f}"
        )
    models = sorted(built.values(), key=lambda b: -b.chunks_per_s)
    if len(models) > 1:
        fast, slow = models[0], models[-1]
        print(
            f"{fast.model} embeds {fast.chunks_per_s / slow.chunks_per_s:.0f}x as many chunks/s "
            f"as {slow.model} and uses {slow.cpu_s_per_1k / fast.cpu_s_per_1k:.0f}x less CPU "
            "per chunk (same run, same corpus)"
        )

    per_call = len(rows) / max(1, with_turns)
    ids = groups["all"]
    bm25 = results[0].quality(ids)
    print(
        "\nquality per CPU-second (quality = mean of R@10 and MRR@10; its gain over BM25 alone "
        "per CPU-s of embedding per 1,000 chunks)"
    )
    for s in results[1:]:
        b = built[s.model]
        gain = s.quality(ids) - bm25
        better, worse = _wins(s, results[0], ids)
        print(
            f"  {s.name:<52} quality {s.quality(ids):.3f} ({gain:+.3f} vs BM25; better on "
            f"{better}, worse on {worse} queries) for {b.cpu_s_per_1k:.3f} CPU-s/1k chunks "
            f"= {gain / b.cpu_s_per_1k:+.4f} per CPU-s; a 1,000-call day ≈ "
            f"{b.cpu_s_per_1k * per_call:.1f} CPU-s"
        )
    hyb = {s.model: s for s in results if s.name.startswith("hybrid")}
    if len(models) > 1 and all(m.model in hyb for m in models):
        fast, slow = models[0], models[-1]
        dq = hyb[slow.model].quality(ids) - hyb[fast.model].quality(ids)
        dc = slow.cpu_s_per_1k - fast.cpu_s_per_1k
        print(
            f"  hybrid {slow.model} over hybrid {fast.model}: {dq:+.3f} quality for "
            f"{dc:+.3f} CPU-s/1k chunks = {dq / dc:+.5f} per CPU-s"
        )

    bm25_scores = results[0]
    print(
        f"\nis it the fusion? RRF with BM25's ranks weighted {FUSE_BM25_WEIGHT:g}x, computed here "
        "from the same two result lists (not a search() mode)"
    )
    for s in [s for s in results if s.name.startswith("vector")]:
        fused = fuse(
            bm25_scores, s, queries, s.name.replace("vector", "fused", 1), FUSE_BM25_WEIGHT
        )
        better, worse = _wins(fused, bm25_scores, ids)
        print(
            f"  {fused.name:<52}{_pair(fused.mean(ids)):>16}  quality {fused.quality(ids):.3f} "
            f"({fused.quality(ids) - bm25:+.3f} vs BM25; better on {better}, worse on {worse})"
        )

    print("\nrecommended default")
    for line in recommend(results, built, ids):
        print(f"  {line}")
    if args.per_query:
        print("\nper query R@10:  " + "  ".join(s.name.split(" (")[0] for s in results))
        for q in queries:
            cells = "  ".join(f"{s.per_query[q['id']][0]:.2f}" for s in results)
            print(
                f"  {q['id']:<28}{q['lang']:<6}{kinds[q['id']][:4]:<5}{len(q['relevant']):>4}  "
                f"{cells}  {q['query']}"
            )
    print(f"\n(whole run {time.perf_counter() - started:.0f} s)")


def _wins(a: Scores, b: Scores, ids: list[str]) -> tuple[int, int]:
    """On how many queries `a` has a higher (lower) R@10 + RR than `b`."""
    diff = [sum(a.per_query[i]) - sum(b.per_query[i]) for i in ids]
    return sum(1 for d in diff if d > 1e-9), sum(1 for d in diff if d < -1e-9)


def _pair(rm: tuple[float, float]) -> str:
    return f"{rm[0]:.3f}/{rm[1]:.3f}"


if __name__ == "__main__":
    main()
