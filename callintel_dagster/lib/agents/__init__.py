"""Per-tenant analysis agents: versioned prompt files, pydantic output models, prompt rendering."""

from .insights import Insights, insights, quality_score
from .spec import AgentSpec, data_block
from .templates import prompts_version, template

__all__ = [
    "AgentSpec",
    "Insights",
    "data_block",
    "insights",
    "prompts_version",
    "quality_score",
    "template",
]
