"""What the `ask` and `evaluate` prompts must answer: strict pydantic models (unknown keys are
errors), validated by the JsonAsker and checked again against the stored transcript.

A moment is written `mm:ss` (minutes may exceed 59), the form a citation shows:
`[call id @ mm:ss] "quote"`; `--:--` for a call whose transcript has no timestamps (text sources
such as Bolna), whose quotes are then checked on their words alone.
"""

from typing import Literal

from pydantic import Field

from callintel_dagster.lib.strict_model import StrictModel

MOMENT = r"^([0-9]{1,3}:[0-5][0-9]|--:--)$"


class CitedQuote(StrictModel):
    call_id: str = Field(min_length=1, max_length=120)
    at: str = Field(
        pattern=MOMENT, description="the moment the quoted words start, mm:ss (--:-- when untimed)"
    )
    quote: str = Field(min_length=1, max_length=300, description="words copied verbatim")


class StatementOut(StrictModel):
    text: str = Field(min_length=1, max_length=600)
    citations: list[CitedQuote] = Field(min_length=1, max_length=4)


class AskOutput(StrictModel):
    """`found` false (and no statements) when the passages do not contain the answer."""

    found: bool
    statements: list[StatementOut] = Field(max_length=8)


class EvaluateOutput(StrictModel):
    """One yes/no question about one call; `quote` supports the answer ("" when unknown)."""

    answer: Literal["yes", "no", "unknown"]
    quote: str = Field(max_length=300)
    at: str | None = Field(None, pattern=MOMENT)
    reason: str = Field("", max_length=300)
