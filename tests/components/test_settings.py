"""Where API calls go and with which credentials: stack config first, then the environment."""

import pytest

from components.cloud.errors import CvmImageError
from components.cloud.settings import resolve_settings

CONFIG = {"tencentcloud:secretId": "AKIDconfig", "tencentcloud:secretKey": "config-key"}
ENV = {"TENCENTCLOUD_SECRET_ID": "AKIDenv", "TENCENTCLOUD_SECRET_KEY": "env-key", "TENCENTCLOUD_REGION": "ap-beijing"}


def test_stack_config_wins_over_the_environment():
    settings = resolve_settings({**CONFIG, "tencentcloud:region": "ap-shanghai"}, ENV)
    assert settings.secret_id.get_secret_value() == "AKIDconfig"
    assert settings.secret_key.get_secret_value() == "config-key"
    assert settings.region == "ap-shanghai"


def test_the_environment_fills_what_config_lacks():
    settings = resolve_settings({}, {**ENV, "TENCENTCLOUD_SECURITY_TOKEN": "tok"})
    assert (settings.secret_id.get_secret_value(), settings.region) == ("AKIDenv", "ap-beijing")
    assert settings.security_token is not None and settings.security_token.get_secret_value() == "tok"


def test_region_defaults_like_the_tencentcloud_provider():
    assert resolve_settings(CONFIG, {}).region == "ap-guangzhou"


@pytest.mark.parametrize(
    ("url", "scheme", "endpoint"),
    [("http://127.0.0.1:9000", "http", "127.0.0.1:9000"), ("127.0.0.1:9000", "https", "127.0.0.1:9000"), (None, "https", None)],
)
def test_endpoint(url, scheme, endpoint):
    config = {**CONFIG, "cvmImage:endpoint": url} if url else CONFIG
    settings = resolve_settings(config, {})
    assert (settings.scheme, settings.endpoint) == (scheme, endpoint)


def test_endpoint_from_the_environment():
    assert resolve_settings(CONFIG, {"TENCENTCLOUD_CVM_ENDPOINT": "http://127.0.0.1:1234"}).endpoint == "127.0.0.1:1234"


@pytest.mark.parametrize("url", ["ftp://host", "http://host/path", "http://"])
def test_bad_endpoints_are_explained(url):
    with pytest.raises(CvmImageError, match="cvmImage:endpoint"):
        resolve_settings({**CONFIG, "cvmImage:endpoint": url}, {})


def test_missing_credentials_say_how_to_set_them():
    with pytest.raises(CvmImageError) as raised:
        resolve_settings({"tencentcloud:secretId": "AKIDonly"}, {})
    assert "pulumi config set --secret tencentcloud:secretKey" in str(raised.value)


def test_secrets_do_not_show_in_reprs():
    settings = resolve_settings(CONFIG, {})
    assert "config-key" not in repr(settings) and "config-key" not in str(settings)
