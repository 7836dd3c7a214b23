"""Where API calls go and with which credentials: stack config first, then the environment."""

import pytest

from components.cloud.errors import CvmImageError
from components.cloud.settings import ApiSettings, resolve_settings
from components.cloud.sources import StaticKeys

CONFIG = {"tencentcloud:secretId": "AKIDconfig", "tencentcloud:secretKey": "config-key"}
ENV = {"TENCENTCLOUD_SECRET_ID": "AKIDenv", "TENCENTCLOUD_SECRET_KEY": "env-key", "TENCENTCLOUD_REGION": "ap-beijing"}


def keys(settings: ApiSettings) -> StaticKeys:
    [step] = settings.credentials.sources.steps
    assert isinstance(step.source, StaticKeys)
    return step.source


def test_stack_config_wins_over_the_environment():
    settings = resolve_settings({**CONFIG, "tencentcloud:region": "ap-shanghai"}, ENV)
    assert keys(settings).secret_id.get_secret_value() == "AKIDconfig"
    assert keys(settings).secret_key.get_secret_value() == "config-key"
    assert settings.region == "ap-shanghai"


def test_the_environment_fills_what_config_lacks():
    settings = resolve_settings({}, {**ENV, "TENCENTCLOUD_SECURITY_TOKEN": "tok"})
    assert (keys(settings).secret_id.get_secret_value(), settings.region) == ("AKIDenv", "ap-beijing")
    token = keys(settings).token
    assert token is not None and token.get_secret_value() == "tok"


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
    shown = [repr(settings), str(settings), repr(settings.credentials.sources), settings.credentials.sources.describe()]
    assert not [text for text in shown if "config-key" in text]


@pytest.mark.parametrize(
    ("url", "sts", "metadata"),
    [
        ("http://127.0.0.1:9000", "127.0.0.1:9000", "http://127.0.0.1:9000/latest/meta-data/"),  # the emulator serves all
        ("cvm.intl.tencentcloudapi.com", "sts.intl.tencentcloudapi.com", None),
        ("https://cvm.ap-shanghai.tencentcloudapi.com", "sts.tencentcloudapi.com", None),
        (None, None, None),  # the SDK's public default, sts.tencentcloudapi.com; the real metadata server
    ],
)
def test_sts_and_the_metadata_server_follow_the_cvm_endpoint(url, sts, metadata):
    settings = resolve_settings({**CONFIG, "cvmImage:endpoint": url} if url else CONFIG, {})
    assert (settings.credentials.sts.endpoint, settings.credentials.metadata_url) == (sts, metadata)


def test_protocol_and_domain_as_the_bridged_provider_takes_them():
    settings = resolve_settings({**CONFIG, "tencentcloud:protocol": "HTTP", "tencentcloud:domain": "example.internal"}, {})
    assert (settings.scheme, settings.endpoint, settings.domain) == ("http", None, "example.internal")
    assert resolve_settings(CONFIG, {"TENCENTCLOUD_PROTOCOL": "HTTP", "TENCENTCLOUD_CVM_ENDPOINT": "10.0.0.1:80"}).scheme == "http"
    with pytest.raises(CvmImageError, match="must be HTTP or HTTPS"):
        resolve_settings({**CONFIG, "tencentcloud:protocol": "ftp"}, {})
