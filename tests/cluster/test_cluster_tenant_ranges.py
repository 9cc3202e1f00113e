"""The cluster demo's marts runs: each covers a rectangle of neighbouring tenants in the
instance's key order, never a tenant that was not asked for."""

import pytest

from callintel_dagster.cluster.demo import tenant_ranges
from callintel_dagster.cluster.services import ClusterError


def test_neighbours_in_the_instance_order_share_one_range():
    order = ["acme", "globex", "initech", "umbrella"]
    assert tenant_ranges(["umbrella", "acme", "globex", "initech"], order) == [order]


def test_a_tenant_not_asked_for_splits_the_range():
    order = ["acme", "globex", "initech", "umbrella", "wayne"]
    assert tenant_ranges(["acme", "initech", "umbrella"], order) == [
        ["acme"],
        ["initech", "umbrella"],
    ]


def test_a_tenant_not_yet_registered_is_refused_by_name():
    with pytest.raises(ClusterError, match="not registered as partitions yet: zeta"):
        tenant_ranges(["acme", "zeta"], ["acme", "globex"])
