"""The two pydantic bases every model in callintel derives from: unknown keys are errors.

`StrictModel` for what a model or a provider returns (agent outputs, analysis JSON);
`StrictConfig` for what tenants.yaml says (also frozen: a loaded registry never changes).
"""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StrictConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
