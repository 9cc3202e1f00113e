"""Token cost from the tenant's per-model price table (US dollars per million tokens)."""

from collections.abc import Mapping


def token_cost(prices: Mapping, model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """Cost in USD; 0.0 for a model the table does not price (reported as unpriced upstream)."""
    price = prices.get(model)
    if price is None:
        return 0.0
    return round(
        (prompt_tokens * price.input_per_mtok + completion_tokens * price.output_per_mtok) / 1e6, 8
    )
