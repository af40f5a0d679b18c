from django.test import RequestFactory

from leaks.ratelimits import hit, network_of, opaque


def test_network_of_groups_ipv4_by_24_and_ipv6_by_64():
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"


def test_hit_counts_up_to_the_rate_then_limits():
    request = RequestFactory().post("/")
    results = [hit(request, group="t", key="k1", rate="3/m") for _ in range(5)]
    assert results == [False, False, False, True, True]
    assert hit(request, group="t", key="k2", rate="3/m") is False


def test_opaque_hides_the_value_and_is_stable():
    assert opaque("13800138000") == opaque("13800138000")
    assert "13800138000" not in opaque("13800138000")
