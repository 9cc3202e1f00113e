"""The only place a tenant's secret is read: from the environment variable tenants.yaml names,
through `dagster.EnvVar`, at run time (never at import). A variable that is unset or empty is an
error naming the variable, never a value."""

import dagster as dg

from callintel_dagster.providers.base import PermanentProviderError


class MissingSecretError(PermanentProviderError, ValueError):
    """The environment variable holding a tenant's secret is not set. Also a ValueError: callers
    that treat configuration trouble as "try again next tick" keep doing so."""


def secret(
    tenant_id: str,
    provider: str,
    env_name: str,
    error: type[PermanentProviderError] = MissingSecretError,
) -> str:
    """The value of `env_name`; `error` (a `PermanentProviderError`, by default
    `MissingSecretError`; a kind's own, e.g. `PermanentLlmError`) when it is unset."""
    value = dg.EnvVar(env_name).get_value()
    if not value:
        raise error(
            tenant_id,
            provider,
            f"environment variable {env_name} is not set (named in tenants.yaml)",
        )
    return value


def optional_secret(
    tenant_id: str,
    provider: str,
    env_name: str | None,
    error: type[PermanentProviderError] = MissingSecretError,
) -> str | None:
    """`secret(...)` when tenants.yaml names a variable, None when it names none."""
    return secret(tenant_id, provider, env_name, error) if env_name else None
