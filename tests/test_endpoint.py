"""The endpoint override accepts only loopback; every trick is refused."""

import pytest

from lr_desktop.clevertap.config import CleverTapConfig, apply_env
from lr_desktop.clevertap.endpoint import EndpointRefused, validate_loopback_endpoint


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/",
        "https://127.0.0.1",
        "http://localhost:9000",
        "http://LOCALHOST:9000",
        "http://[::1]:9000",
        "http://127.5.6.7:1234",
    ],
)
def test_loopback_accepted(url: str) -> None:
    assert validate_loopback_endpoint(url).startswith(("http://", "https://"))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1.example.com",
        "http://127.0.0.1.nip.io:80",
        "http://127.0.0.1@evil.example",
        "http://user:pw@127.0.0.1:80",
        "http://evil.example#@127.0.0.1",
        "http://evil.example?@127.0.0.1",
        "http://[::ffff:127.0.0.1]:80",
        "http://[0:0:0:0:0:0:0:1]:80",
        "http://[::1%25lo]:80",
        "http://0.0.0.0:80",
        "http://10.0.0.1",
        "http://192.168.1.1",
        "http://127.1",
        "http://2130706433",
        "http://0x7f.0.0.1",
        "http://017700000001",
        "ftp://127.0.0.1",
        "127.0.0.1:80",
        "http://127.0.0.1:99999",
        "http://127.0.0.1\\@evil.example",
        "http://127.0.0.1 .example.com",
        "https://api.clevertap.com",
        "",
    ],
)
def test_non_loopback_refused(url: str) -> None:
    with pytest.raises(EndpointRefused):
        validate_loopback_endpoint(url)


def test_env_override_refuses_remote_endpoint() -> None:
    with pytest.raises(EndpointRefused):
        apply_env(CleverTapConfig(), {"LR_CLEVERTAP_ENDPOINT": "http://127.0.0.1.example.com"})


def test_real_hosts_are_https() -> None:
    for region in ("EU", "IN", "US", "SG", "SK", "ID", "UAE"):
        assert CleverTapConfig(region=region).base_url.startswith("https://")
