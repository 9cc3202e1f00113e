"""The provider registry: every name tenants.yaml may use resolves to a loadable factory, the
pools are the ones the assets always used, and an unknown name is a clear error."""

from typing import Union, get_args, get_origin

import pytest

from callintel_dagster.lib.tenants.digest_config import DigestConfig
from callintel_dagster.lib.tenants.llm_config import LlmConfig
from callintel_dagster.lib.tenants.registry import EmbeddingsConfig
from callintel_dagster.lib.tenants.source_configs import CallsConfig, CrmConfig
from callintel_dagster.lib.tenants.stt_config import SttConfig
from callintel_dagster.providers import registry

CONFIGS = {
    "calls": CallsConfig,
    "crm": CrmConfig,
    "stt": SttConfig,
    "llm": LlmConfig,
    "messaging": DigestConfig,
    "embeddings": EmbeddingsConfig,
}


def config_names(config) -> set[str]:
    """The `provider` literals of a discriminated config union."""
    union = get_args(config)[0]
    models = get_args(union) if get_origin(union) in (Union, type(int | str)) else (union,)
    return {get_args(m.model_fields["provider"].annotation)[0] for m in models}


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_every_configurable_provider_is_registered(kind):
    assert set(registry.names(kind)) == config_names(CONFIGS[kind])


def test_writers_exist_only_for_crms_with_a_writeback_switch():
    crms = get_args(get_args(CrmConfig)[0])
    switchable = {
        get_args(m.model_fields["provider"].annotation)[0]
        for m in crms
        if "writeback" in m.model_fields
    }
    assert set(registry.names("writeback")) == switchable


@pytest.mark.parametrize("provider", registry.PROVIDERS, ids=lambda p: f"{p.kind}-{p.name}")
def test_every_factory_loads(provider):
    if provider.factory is None:
        assert registry.is_local(provider.kind, "acme", provider.name)
        assert registry.pool(provider.kind, "acme", provider.name) is None
        with pytest.raises(ValueError, match="nothing to build"):
            provider.load()
    else:
        assert callable(provider.load())
        assert not registry.is_local(provider.kind, "acme", provider.name)


@pytest.mark.parametrize("kind", ["stt", "llm"])
def test_remote_stt_and_llm_providers_hold_slots_of_their_own_pool(kind):
    for name in registry.names(kind):
        expected = None if registry.is_local(kind, "acme", name) else f"{kind}_{name}"
        assert registry.pool(kind, "acme", name) == expected
    assert all(
        registry.pool(k, "acme", n) is None for k in ("calls", "crm") for n in registry.names(k)
    )


def test_unknown_provider_names_the_tenant_the_kind_and_the_known_ones():
    with pytest.raises(registry.UnknownProviderError) as err:
        registry.build("crm", "acme", "no_such_crm")
    message = str(err.value)
    assert "tenant acme" in message and "crm provider 'no_such_crm'" in message
    assert "zoho" in message and isinstance(err.value, ValueError)
    with pytest.raises(ValueError, match="unknown provider kind 'fax'"):
        registry.names("fax")


def test_build_calls_the_factory_with_the_given_arguments(tmp_path):
    from callintel_dagster.lib.tenants.registry import Tenant
    from callintel_dagster.providers.synthetic import SyntheticSource

    tenant = Tenant(id="acme", name="Acme", timezone="Asia/Kolkata")
    source = registry.build("calls", tenant.id, "synthetic", tenant, tenant.calls, tmp_path)
    assert isinstance(source, SyntheticSource) and source.capabilities.rereads_by_id is False
