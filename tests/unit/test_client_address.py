"""The client address behind trusted proxies (VENDORGOV_TRUSTED_PROXIES)."""

from ipaddress import ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendorgov.settings import load_settings
from vendorgov.web.security import client_address

PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8::/32"))


def test_an_untrusted_peer_is_the_client_whatever_it_forwards():
    assert client_address("203.0.113.7", "198.51.100.1", ()) == "203.0.113.7"
    assert client_address("203.0.113.7", "198.51.100.1", PROXIES) == "203.0.113.7"


def test_behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client():
    assert client_address("10.0.0.2", "198.51.100.1", PROXIES) == "198.51.100.1"
    # The client wrote "1.2.3.4" itself; the proxy appended the address it saw.
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.1", PROXIES) == "198.51.100.1"
    assert client_address("10.0.0.2", "198.51.100.1, 10.9.9.9", PROXIES) == "198.51.100.1"
    assert client_address("2001:db8::1", "2001:db8::2, 198.51.100.1", PROXIES) == "198.51.100.1"
    assert client_address("10.0.0.2", "", PROXIES) == "10.0.0.2"


@given(st.lists(st.ip_addresses().map(str), max_size=5))
def test_what_an_untrusted_client_forwards_never_changes_its_address(forged):
    assert client_address("203.0.113.7", ", ".join(forged), PROXIES) == "203.0.113.7"


@given(st.lists(st.ip_addresses().map(str), max_size=5))
def test_a_client_behind_a_proxy_cannot_pick_its_address(forged):
    header = ", ".join([*forged, "198.51.100.1"])
    assert client_address("10.0.0.2", header, PROXIES) == "198.51.100.1"


def test_the_setting_is_parsed_and_checked(monkeypatch):
    monkeypatch.setenv("VENDORGOV_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5,")
    assert load_settings().trusted_proxies == (
        ip_network("10.0.0.0/8"),
        ip_network("192.168.1.5/32"),
    )
    monkeypatch.setenv("VENDORGOV_TRUSTED_PROXIES", "")
    assert load_settings().trusted_proxies == ()
    monkeypatch.setenv("VENDORGOV_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")
    with pytest.raises(ValueError, match="VENDORGOV_TRUSTED_PROXIES: 'proxy.local'"):
        load_settings()
