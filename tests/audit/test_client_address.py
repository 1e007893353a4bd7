"""The audit log records the person's address, trusting X-Forwarded-For only as far as the
configured proxies go."""

import pytest
from django.test import RequestFactory, override_settings

from masip.audit.services import client_address


def request(remote: str = "10.0.0.5", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(request(forwarded="203.0.113.9")) == "10.0.0.5"


@override_settings(MASIP_TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_last_entry_is_the_client():
    # A client can put anything at the front of the header; only the proxy's own entry counts.
    assert client_address(request(forwarded="198.51.100.1, 203.0.113.9")) == "203.0.113.9"


@override_settings(MASIP_TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_second_from_last_is_the_client():
    assert client_address(request(forwarded="198.51.100.1, 203.0.113.9, 10.0.0.4")) == "203.0.113.9"


@override_settings(MASIP_TRUSTED_PROXY_COUNT=1)
@pytest.mark.parametrize("forwarded", [None, ""])
def test_a_missing_header_falls_back_to_the_connection(forwarded):
    assert client_address(request(forwarded=forwarded)) == "10.0.0.5"


@override_settings(MASIP_TRUSTED_PROXY_COUNT=1)
def test_a_malformed_entry_is_not_recorded():
    assert client_address(request(forwarded="not-an-address")) is None
