"""Versioned prompt templates: one file per agent in `prompts/`, a `version:` header on top.

Changing a prompt means bumping its version: the version goes into every analysis row and the
asset's code version, so Dagster shows which partitions were analysed with an older prompt.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PROMPTS_DIR = Path(__file__).parent / "prompts"


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: int
    text: str

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, **values: str) -> str:
        return self.text.format(**values)


@cache
def template(name: str) -> PromptTemplate:
    raw = (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8")
    _, header, body = raw.split("---\n", 2)
    version = yaml.safe_load(header)["version"]
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"prompt {name}: 'version' must be a positive integer")
    return PromptTemplate(name, version, body.strip("\n"))


def all_templates() -> list[PromptTemplate]:
    return [template(p.stem) for p in sorted(PROMPTS_DIR.glob("*.md"))]


# prompts that are not part of a call's analysis: editing them must not mark analyses stale
NOT_ANALYSIS = {"ask", "evaluate", "daily_summary"}


def prompts_version() -> str:
    """The call-analysis prompts' versions in one string: the analysis asset's code version."""
    return ",".join(t.tag for t in all_templates() if t.name not in NOT_ANALYSIS)
