"""A JSON instance valid against a JSON schema: what the LLM emulators answer.

Covers what pydantic's `model_json_schema()` emits: `$defs`/`$ref`, objects (properties,
required, additionalProperties for dicts), arrays (items, prefixItems, minItems/maxItems,
uniqueItems), strings (enum, const, minLength/maxLength, common formats), integers and numbers
(minimum/maximum, exclusive bounds, multipleOf), booleans, null, anyOf/oneOf/allOf and type
lists. Deterministic: the same schema and seed give the same instance. Strings are a few words
(from `words`, e.g. the user message, else a small vocabulary) cut to the length limits; arrays
get 0–2 items (more when minItems asks). A `pattern` is honoured only when one of a few
candidates happens to match it (there is no general regex generator here).

Grounded answers (`Grounding`, used for prompts that carry passages as data, e.g. callintel's
`ask` and `evaluate`): every object with a `quote` key quotes a verbatim run of 3-10 words from
one passage, and takes that passage's `call_id` and `at` when it has those keys too; arrays get
at least one item and a boolean `found` is true, like a model that answers from its data. With
`fabricate_every=N` every Nth quote is instead words no passage contains (a hallucinated
quote), so a citation checker can be exercised both ways.
"""

import hashlib
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_WORDS = (
    "customer asked about pricing and the agent offered a demo next week "
    "budget confirmed follow up call scheduled interested in the premium plan"
).split()
_MAX_DEPTH = 8
_FORMATS = {
    "date-time": "2026-11-18T10:30:00Z",
    "date": "2026-11-18",
    "time": "10:30:00",
    "email": "customer@example.com",
    "uri": "https://example.com/calls/1",
    "url": "https://example.com/calls/1",
    "ipv4": "127.0.0.1",
    "duration": "P1D",
}
_PATTERN_CANDIDATES = (
    "a",
    "abc",
    "a_b",
    "x1",
    "0",
    "1",
    "yes",
    "no",
    "A",
    "ABC",
    "2026-11-18",
    "01:05",
)


def words_of(text: str, limit: int = 200) -> list[str]:
    """The plain words of a text (letters and digits), for readable generated strings."""
    return re.findall(r"[A-Za-z][A-Za-z']{1,20}", text)[:limit]


FABRICATED_QUOTES = (
    "we guarantee a full refund within ninety days no questions asked",
    "the board already approved the purchase of two hundred licences",
    "our lawyer will sign the contract tomorrow morning",
)


@dataclass
class Grounding:
    """Passages (dicts with `text`, optionally `call_id` and `at`) that quotes are taken from."""

    passages: list[dict]
    fabricate_every: int = 0  # every Nth quote is made up (0: never)
    quotes: int = 0  # quotes written so far
    fabricated: list[str] = field(default_factory=list)  # the made-up ones, for tests

    def quote_into(self, out: dict, rng: random.Random, schema: dict) -> None:
        passage = self.passages[rng.randrange(len(self.passages))]
        self.quotes += 1
        if self.fabricate_every and self.quotes % self.fabricate_every == 0:
            quote = self._fabricated(rng)
            self.fabricated.append(quote)
        else:
            words = str(passage.get("text", "")).split()
            size = min(len(words), rng.randint(3, 10))
            start = rng.randrange(max(1, len(words) - size + 1))
            quote = " ".join(words[start : start + size])
        limit = schema.get("maxLength")
        while limit is not None and len(quote) > int(limit) and " " in quote:
            quote = quote.rsplit(" ", 1)[0]
        out["quote"] = quote
        for key in ("call_id", "at"):
            if key in out and passage.get(key) is not None:
                out[key] = passage[key]

    def _fabricated(self, rng: random.Random) -> str:
        known = " ".join(str(p.get("text", "")) for p in self.passages).casefold()
        options = [q for q in FABRICATED_QUOTES if q not in known] or ["zq" * 8]
        return rng.choice(options)


def instance_for(
    schema: dict,
    seed: str,
    words: Sequence[str] | None = None,
    grounding: Grounding | None = None,
) -> object:
    """A JSON value valid against `schema` (a JSON schema with `$defs` at its root); quotes
    grounded in `grounding`'s passages when it has any."""
    digest = hashlib.sha256(seed.encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    usable = grounding if grounding is not None and grounding.passages else None
    gen = _Generator(schema, rng, words, usable)
    return gen.value(schema, 0)


def resolve(schema: dict, root: dict) -> dict:
    """Follow `$ref`s (local `#/...` pointers) until a schema that is not a bare reference."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        target: Any = root
        for part in schema["$ref"].lstrip("#").strip("/").split("/"):
            if part:
                target = target[part.replace("~1", "/").replace("~0", "~")]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra} if extra else target
        seen += 1
    return schema


class _Generator:
    def __init__(
        self,
        root: dict,
        rng: random.Random,
        words: Sequence[str] | None,
        grounding: Grounding | None = None,
    ):
        self.root, self.rng, self.grounding = root, rng, grounding
        self.words = [w for w in (words or ()) if w] or list(DEFAULT_WORDS)

    def value(self, schema: Any, depth: int) -> object:
        if schema is True or not isinstance(schema, dict):
            return self.text({}) if schema is not False else None
        schema = resolve(schema, self.root)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.rng.choice(list(schema["enum"]))
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.value(self._branch(schema[key], depth), depth)
        if "allOf" in schema:
            merged: dict = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, resolve(part, self.root))
            return self.value(merged, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            options = [k for k in kind if k != "null"] or ["null"]
            kind = options[0] if depth < _MAX_DEPTH else ("null" if "null" in kind else options[0])
        if kind is None:
            kind = _infer_type(schema)
        return getattr(self, f"_{kind}", self._string)(schema, depth)

    def _branch(self, options: list, depth: int) -> Any:
        resolved = [resolve(o, self.root) if isinstance(o, dict) else o for o in options]
        non_null = [o for o in resolved if not (isinstance(o, dict) and o.get("type") == "null")]
        if depth >= _MAX_DEPTH and len(non_null) < len(resolved):
            return {"type": "null"}  # stop a recursive schema where it allows it
        return self.rng.choice(non_null or resolved)

    # ---- types --------------------------------------------------------------------------------

    def _object(self, schema: dict, depth: int) -> dict:
        props: dict = schema.get("properties", {})
        required = set(schema.get("required", ()))
        out = {}
        for name, sub in props.items():
            if name in required or depth < _MAX_DEPTH:
                out[name] = self.value(sub, depth + 1)
        extra = schema.get("additionalProperties")
        if not props and isinstance(extra, dict | bool) and extra is not False:
            lo = int(schema.get("minProperties", 0))
            hi = int(schema.get("maxProperties", max(lo, 2)))
            count = 0 if depth >= _MAX_DEPTH and lo == 0 else self.rng.randint(lo, max(lo, hi))
            for i in range(count):
                key = f"{self.rng.choice(self.words).lower()}_{i + 1}"
                out[key] = self.value(extra if isinstance(extra, dict) else {}, depth + 1)
        if self.grounding is not None:
            if isinstance(out.get("found"), bool):
                out["found"] = True
            if "quote" in out and isinstance(out["quote"], str):
                quote_schema = resolve(props.get("quote", {}), self.root)
                self.grounding.quote_into(out, self.rng, quote_schema)
        return out

    def _array(self, schema: dict, depth: int) -> list:
        prefix = schema.get("prefixItems") or []
        lo = int(schema.get("minItems", len(prefix)))
        hi = schema.get("maxItems")
        hi = int(hi) if hi is not None else max(lo, 2, len(prefix))
        top = max(lo, min(hi, 2 if depth < _MAX_DEPTH else lo))
        if self.grounding is not None and hi >= 1:
            lo = max(lo, 1)  # a grounded answer has something to say
        count = self.rng.randint(lo, max(lo, top))
        items: list = [self.value(s, depth + 1) for s in prefix[:count]]
        item_schema = schema.get("items", {})
        if item_schema is False:
            return items
        tries = 0
        while len(items) < count and tries < count * 20 + 20:
            tries += 1
            candidate = self.value(item_schema, depth + 1)
            if schema.get("uniqueItems") and candidate in items:
                continue
            items.append(candidate)
        return items

    def _string(self, schema: dict, depth: int = 0) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            return f"{self.rng.getrandbits(32):08x}-0000-4000-8000-{self.rng.getrandbits(48):012x}"
        text = _FORMATS.get(fmt) if fmt else None
        if text is None:
            text = self.text(schema)
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, text):
            text = next((c for c in _PATTERN_CANDIDATES if re.search(pattern, c)), text)
        return _fit(text, schema)

    def text(self, schema: dict) -> str:
        n = self.rng.randint(2, 6)
        start = self.rng.randrange(len(self.words))
        picked = [self.words[(start + i) % len(self.words)] for i in range(n)]
        return _fit(" ".join(picked), schema)

    def _integer(self, schema: dict, depth: int = 0) -> int:
        lo, hi = _bounds(schema, integer=True)
        value = self.rng.randint(lo, hi)
        step = schema.get("multipleOf")
        if step and isinstance(step, int) and step > 0:
            value = max(lo, (value // step) * step)
            if value % step:
                value += step - value % step
        return value

    def _number(self, schema: dict, depth: int = 0) -> float:
        lo, hi = _bounds(schema, integer=False)
        value = round(self.rng.uniform(lo, hi), 2)
        return min(max(value, lo), hi)

    def _boolean(self, schema: dict, depth: int = 0) -> bool:
        return self.rng.random() < 0.5

    def _null(self, schema: dict, depth: int = 0) -> None:
        return None


def _infer_type(schema: dict) -> str:
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
        return "number"
    return "string"


def _bounds(schema: dict, integer: bool) -> tuple:
    eps = 1 if integer else 0.01
    lo = schema.get("minimum")
    hi = schema.get("maximum")
    if schema.get("exclusiveMinimum") is not None and not isinstance(
        schema["exclusiveMinimum"], bool
    ):
        ex = schema["exclusiveMinimum"] + eps
        lo = ex if lo is None else max(lo, ex)
    if schema.get("exclusiveMaximum") is not None and not isinstance(
        schema["exclusiveMaximum"], bool
    ):
        ex = schema["exclusiveMaximum"] - eps
        hi = ex if hi is None else min(hi, ex)
    if lo is None and hi is None:
        lo, hi = 0, 10
    elif lo is None:
        lo = min(0, hi)
    elif hi is None:
        hi = max(lo, 0) + 10
    if integer:
        lo, hi = math.ceil(lo), math.floor(hi)
    return lo, max(lo, hi)


def _fit(text: str, schema: dict) -> str:
    lo = int(schema.get("minLength", 0))
    hi = schema.get("maxLength")
    if hi is not None:
        hi = int(hi)
        if len(text) > hi:
            cut = text[:hi]
            text = cut.rsplit(" ", 1)[0] if " " in cut and len(cut.rsplit(" ", 1)[0]) >= lo else cut
    if len(text) < lo:
        text = (text + " " + "x" * lo)[:lo] if text else "x" * lo
    return text


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for key, value in b.items():
        if key == "properties":
            out["properties"] = {**out.get("properties", {}), **value}
        elif key == "required":
            out["required"] = list(dict.fromkeys([*out.get("required", []), *value]))
        else:
            out.setdefault(key, value)
    return out
