"""The one secret resolver: a tenant's secret from the environment variable tenants.yaml names."""

import pytest

from callintel_dagster.providers.base import PermanentProviderError
from callintel_dagster.providers.llm.base import PermanentLlmError
from callintel_dagster.providers.secrets import MissingSecretError, optional_secret, secret


def test_the_value_of_the_named_variable(monkeypatch):
    monkeypatch.setenv("ACME_ZOHO_TOKEN", "s3cret-value")
    assert secret("acme", "zoho", "ACME_ZOHO_TOKEN") == "s3cret-value"
    assert optional_secret("acme", "zoho", "ACME_ZOHO_TOKEN") == "s3cret-value"
    assert optional_secret("acme", "zoho", None) is None


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_or_empty_variable_is_a_permanent_error_naming_it(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("ACME_KEY", raising=False)
    else:
        monkeypatch.setenv("ACME_KEY", value)
    with pytest.raises(MissingSecretError) as err:
        secret("acme", "bolna", "ACME_KEY")
    assert str(err.value) == (
        "tenant acme: bolna: environment variable ACME_KEY is not set (named in tenants.yaml)"
    )
    # permanent (retrying cannot help) and a ValueError (configuration trouble)
    assert isinstance(err.value, PermanentProviderError) and isinstance(err.value, ValueError)


def test_a_kind_raises_its_own_error_class(monkeypatch):
    monkeypatch.delenv("GROQ_KEY_UNSET", raising=False)
    with pytest.raises(PermanentLlmError, match="GROQ_KEY_UNSET"):
        secret("acme", "groq", "GROQ_KEY_UNSET", PermanentLlmError)
