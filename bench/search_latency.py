"""Benchmark: search latency in one tenant's index at 10k, 100k (and on request 1M) chunks.

For each size: p50/p95 of search() in bm25, vector and hybrid mode, without and with filters,
with an exact vector scan and with the IVF_RQ index; the ANN index's recall@10 against the exact
scan; and, measured in the same run, two baselines: a numpy top-10 over the same vectors held in
memory (a hand-written exact scan, ratio column), and the query-embedding time of each model
(what vector and hybrid search add on top of the figures here).

The chunks are synthetic: text assembled from the synthetic call lines (lib/synthetic/lines.py),
facets drawn at random, vectors random unit vectors of the model's dimension (384 for MiniLM, the
default; --dim 64 for the static model). The tables are built once into bench/out/ (gitignored)
and reused by later runs.

    .venv/bin/python -m bench.search_latency                 # 10k and 100k chunks
    .venv/bin/python -m bench.search_latency --sizes 1000000 # 1M (builds ~1.6 GB once, minutes)
"""

import argparse
import os
import re
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

os.environ.setdefault("LANCEDB_LOG", "error")  # LanceDB's own deprecation notes, per query

OUT = Path(__file__).resolve().parent / "out" / "search_latency"
TENANT = "bench"
DAYS = 90
FIRST_DAY = date(2026, 8, 20)
AGENTS = [f"Agent {i:02d}" for i in range(20)]
SENTIMENTS = ["positive", "neutral", "negative"]
TAGS = ["purchased", "interested", "follow_up", "not_interested"]
OBJECTIONS = ["price", "competitor", "timing", "no_need", "authority", "trust"]
QUERIES = [
    "too expensive for us",
    "book a site visit",
    "call me next week",
    "competitor quoted less",
    "send the brochure on whatsapp",
    "not interested right now",
    "budget nahi hai",
    "the meeting is booked",
    "talk to my manager first",
    "how much does it cost",
]
FILTERS = {
    "none": {},
    "day+sentiment (~10%)": {"day_from": FIRST_DAY + timedelta(days=60), "sentiment": "negative"},
    "agent+objection (~1%)": {"agent": "agent 07", "objection": "price"},
}


def lines() -> list[str]:
    """Every line template of the synthetic calls, placeholders filled with plausible words."""
    from callintel_dagster.lib.synthetic import lines as pool

    fill = {"price": "4.5 lakh", "competitor": "Globex", "slot_day": "Saturday"}
    out = []
    for value in vars(pool).values():
        if isinstance(value, tuple) and value and isinstance(value[0], tuple):
            for variant in value:
                for template in variant:
                    if isinstance(template, str):
                        out.append(
                            re.sub(
                                r"\{(\w+)\}", lambda m: fill.get(m.group(1), m.group(1)), template
                            )
                        )
    return out


def build(path: Path, size: int, dim: int, ann_min_rows: int) -> float:
    """The tenant's table of `size` chunks written day by day as the asset does; seconds."""
    import pyarrow as pa

    from callintel_dagster.search.index import ChunkIndex, chunk_schema

    rng = np.random.default_rng(size + dim)
    centroids = rng.normal(size=(512, dim))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    texts = lines()
    index = ChunkIndex(str(path), ann_min_rows=ann_min_rows)
    start = time.perf_counter()
    per_day = size // DAYS
    for d in range(DAYS):
        n = per_day if d < DAYS - 1 else size - per_day * (DAYS - 1)
        day = (FIRST_DAY + timedelta(days=d)).isoformat()
        # clustered, as sentence embeddings are (topics), not uniform noise
        vectors = centroids[rng.integers(0, len(centroids), n)] + rng.normal(
            scale=0.7 / np.sqrt(dim), size=(n, dim)
        )
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        picks = rng.integers(0, len(texts), size=(n, 4))
        objections = [
            [OBJECTIONS[j] for j in np.flatnonzero(row)] for row in rng.random((n, 6)) < 0.12
        ]
        calls = [f"{day}-{i // 4:05d}" for i in range(n)]
        columns = {
            "chunk_id": [f"{calls[i]}:{i % 4}" for i in range(n)],
            "tenant_id": [TENANT] * n,
            "partition_date": [day] * n,
            "call_id": calls,
            "chunk_index": [i % 4 for i in range(n)],
            "speaker": ["agent" if i % 2 == 0 else "customer" for i in range(n)],
            "roles": ["agent,customer"] * n,
            "start_s": [30.0 * (i % 4) for i in range(n)],
            "end_s": [30.0 * (i % 4) + 29 for i in range(n)],
            "text": [
                "\n".join(
                    f"{'Agent' if k % 2 == 0 else 'Customer'}: {texts[j]}"
                    for k, j in enumerate(row)
                )
                for row in picks
            ],
            "agent": (agents := [AGENTS[j] for j in rng.integers(0, len(AGENTS), n)]),
            "agent_key": [a.lower() for a in agents],
            "sentiment": [SENTIMENTS[j] for j in rng.integers(0, 3, n)],
            "contact_tag": [TAGS[j] for j in rng.integers(0, 4, n)],
            "quality_score": rng.uniform(1, 10, n).round(1).tolist(),
            "objections": objections,
            "language": ["en"] * n,
            "model": ["synthetic"] * n,
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dim),
        }
        table = pa.Table.from_pydict(columns, schema=chunk_schema(dim))
        _write(index, day, table, dim)
    index.refresh(TENANT)  # BM25 and scalar indices, as the asset does after its writes
    return time.perf_counter() - start


def _write(index, day: str, table, dim: int) -> None:
    """replace_day for an Arrow table (the bench's rows are built as columns, not dicts)."""
    from callintel_dagster.search.index import quote

    existing = index.open(TENANT)
    if existing is None:
        index._connect().create_table(index.table_name(TENANT), table)  # noqa: SLF001
    else:
        existing.delete(f"partition_date = {quote(day)}")
        existing.add(table)


class QueryVectors:
    """Stands in for the model at query time: a stored chunk's vector plus noise (a query with a
    near neighbour, as real ones have). The models' own query cost is measured separately."""

    def __init__(self, vectors: np.ndarray, dim: int, seed: int = 1):
        self.model, self.dim = "synthetic", dim
        self._vectors, self._rng = vectors, np.random.default_rng(seed)

    def embed(self, texts):
        base = self._vectors[self._rng.integers(0, len(self._vectors))]
        noisy = base + self._rng.normal(scale=0.5 / np.sqrt(self.dim), size=self.dim)
        return (noisy / np.linalg.norm(noisy)).astype(np.float32)[None, :]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def measure(fn, repeats: int) -> tuple[float, float]:
    for _ in range(3):  # warm caches
        fn(0)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return percentiles(times)


def run_size(size: int, dim: int, repeats: int, rebuild: bool) -> list[tuple]:
    from callintel_dagster.search import ChunkIndex, Filters, search

    path = OUT / f"{size}_{dim}d"
    if rebuild and path.exists():
        shutil.rmtree(path)
    index = ChunkIndex(str(path), ann_min_rows=10**12)  # the ANN index is added below
    from callintel_dagster.search.index import chunk_schema

    current = index.open(TENANT)
    if current is None or current.count_rows() != size or current.schema != chunk_schema(dim):
        shutil.rmtree(path, ignore_errors=True)
        print(f"building {size:,} chunks ({dim}-d) in {path} ...", flush=True)
        print(
            f"  built in {build(path, size, dim, 10**12):.1f} s (with the BM25 and scalar indices)"
        )
    table = index.open(TENANT)
    column = table.search().select(["vector"]).limit(None).to_arrow()["vector"]
    vectors = column.combine_chunks().flatten().to_numpy().reshape(-1, dim).astype(np.float32)
    embedder = QueryVectors(vectors, dim)
    rows = []

    def numpy_top10(i):
        query = embedder.embed([""])[0]
        scores = vectors @ query
        np.argpartition(-scores, 10)[:10]

    base = measure(numpy_top10, repeats)
    rows.append((size, "numpy in memory (baseline)", "exact", "none", *base, 1.0))

    def bench(state: str, exact: bool):
        for mode in ("bm25", "vector", "hybrid"):
            if mode == "bm25" and state == "IVF_RQ":
                continue  # BM25 does not use the vector index
            for name, spec in FILTERS.items():
                filters = Filters(**spec) if spec else None

                def one(i, mode=mode, filters=filters):
                    search(
                        index, embedder, TENANT, QUERIES[i % len(QUERIES)], filters, 10, mode, exact
                    )

                # exact scans of 1M vectors take seconds: fewer queries there
                p50, p95 = measure(one, repeats if not exact or size <= 100_000 else 10)
                rows.append((size, mode, state, name, p50, p95, p95 / base[1]))
                print(f"  {mode:<7} {state:<7} {name:<24} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")

    bench("exact", True)
    if not index.has_ann(TENANT):
        from callintel_dagster.search.index import build_ann

        start = time.perf_counter()
        build_ann(table)
        print(f"  IVF_RQ index built in {time.perf_counter() - start:.1f} s")
    bench("IVF_RQ", False)
    recall = ann_recall(index, embedder, search, Filters)
    print(f"  IVF_RQ recall@10 against the exact scan: {recall:.3f}")
    rows.append((size, "recall@10 IVF_RQ vs exact", "", "", recall, recall, 0.0))
    return rows


def ann_recall(index, embedder, search, Filters, queries: int = 30) -> float:
    found = []
    for i in range(queries):
        embedder._rng = np.random.default_rng(100 + i)
        exact = search(index, embedder, TENANT, "x", None, 10, "vector", True)
        embedder._rng = np.random.default_rng(100 + i)
        ann = search(index, embedder, TENANT, "x", None, 10, "vector", False)
        found.append(len({h.chunk_id for h in exact} & {h.chunk_id for h in ann}) / 10)
    return float(np.mean(found))


def query_embedding_cost(repeats: int) -> list[tuple[str, float, float]]:
    from callintel_dagster.providers.embeddings import embedder_named

    out = []
    for name in ("minilm", "static"):
        model = embedder_named(name)
        out.append(
            (name, *measure(lambda i, m=model: m.embed([QUERIES[i % len(QUERIES)]]), repeats))
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=384, help="384: MiniLM (default); 64: static")
    parser.add_argument("--repeats", type=int, default=60, help="queries per figure")
    parser.add_argument("--rebuild", action="store_true", help="build the tables again")
    args = parser.parse_args()
    print(f"search latency, one tenant, {args.dim}-d vectors, {os.cpu_count()} cores")
    rows = []
    for size in args.sizes:
        rows += run_size(size, args.dim, args.repeats, args.rebuild)
    embed = query_embedding_cost(args.repeats)

    print()
    print(
        f"{'chunks':>9}  {'mode':<26} {'vectors':<7} {'filter':<22} {'p50 ms':>8} {'p95 ms':>8}"
        f"  {'p95 / numpy':>11}"
    )
    for size, mode, state, name, p50, p95, ratio in rows:
        if mode.startswith("recall"):
            print(f"{size:>9,}  {mode:<26} {'':<7} {'':<22} {p50:>8.3f}")
        else:
            print(
                f"{size:>9,}  {mode:<26} {state:<7} {name:<22} {p50:>8.1f} {p95:>8.1f}"
                f"  {ratio:>10.1f}x"
            )
    print()
    print("query embedding (added to vector and hybrid search):")
    for name, p50, p95 in embed:
        print(f"  {name:<7} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    print()
    print("where the time goes (p50, no filter): hybrid = its BM25 part + its vector part + the")
    print("rest (RRF fusion in Python, the second query's set-up); vector = scan or index probe")
    p50 = {(r[0], r[1], r[2], r[3]): r[4] for r in rows}
    for size in args.sizes:
        bm25 = p50[(size, "bm25", "exact", "none")]
        for state in ("exact", "IVF_RQ"):
            vector, hybrid = (p50[(size, m, state, "none")] for m in ("vector", "hybrid"))
            print(
                f"  {size:>9,} {state:<7} hybrid {hybrid:7.1f} ms = bm25 {bm25:6.1f}"
                f" + vector {vector:7.1f} + rest {hybrid - bm25 - vector:+7.1f}"
            )
    print("exact vector search grows with the chunks scanned; IVF_RQ with the probed partitions")
    print("and the refine step (ANN_REFINE_FACTOR x limit exact distances); filters are")
    print("prefilters through the scalar indices (search/index.py SCALAR_INDICES).")


if __name__ == "__main__":
    main()
