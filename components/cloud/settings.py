"""Where the provider's API calls go and with which credentials: stack config first, then the environment.

Resolved at run time in the provider process and never stored on the pickled provider.
"""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr

from .errors import CvmImageError

DEFAULT_REGION = "ap-guangzhou"  # the bridged tencentcloud provider's default, so images land beside its instances

# stack config key -> environment variable
SECRET_ID = ("tencentcloud:secretId", "TENCENTCLOUD_SECRET_ID")
SECRET_KEY = ("tencentcloud:secretKey", "TENCENTCLOUD_SECRET_KEY")
SECURITY_TOKEN = ("tencentcloud:securityToken", "TENCENTCLOUD_SECURITY_TOKEN")
REGION = ("tencentcloud:region", "TENCENTCLOUD_REGION")
ENDPOINT = ("cvmImage:endpoint", "TENCENTCLOUD_CVM_ENDPOINT")
CONFIG_KEYS = tuple(key for key, _ in (SECRET_ID, SECRET_KEY, SECURITY_TOKEN, REGION, ENDPOINT))


class ApiSettings(BaseModel):
    """Credentials, region and endpoint for the CVM API."""

    model_config = ConfigDict(frozen=True)

    secret_id: SecretStr
    secret_key: SecretStr
    security_token: SecretStr | None = None
    region: str = DEFAULT_REGION
    scheme: str = "https"
    endpoint: str | None = None  # host[:port]; None means the SDK's public default


def resolve_settings(config: Mapping[str, str], env: Mapping[str, str] = os.environ) -> ApiSettings:
    """Build settings from the stack config the engine sent to `configure`, falling back to the environment."""

    def lookup(names: tuple[str, str]) -> str | None:
        key, variable = names
        value = config.get(key) or env.get(variable)
        return value.strip() if isinstance(value, str) and value.strip() else None

    secret_id, secret_key = lookup(SECRET_ID), lookup(SECRET_KEY)
    if not secret_id or not secret_key:
        raise CvmImageError(
            "No Tencent Cloud credentials: set `pulumi config set tencentcloud:secretId <id>` and "
            "`pulumi config set --secret tencentcloud:secretKey <key>`, or export TENCENTCLOUD_SECRET_ID and "
            "TENCENTCLOUD_SECRET_KEY."
        )
    scheme, endpoint = _split_endpoint(lookup(ENDPOINT))
    token = lookup(SECURITY_TOKEN)
    return ApiSettings(
        secret_id=secret_id,
        secret_key=secret_key,
        security_token=token,
        region=lookup(REGION) or DEFAULT_REGION,
        scheme=scheme,
        endpoint=endpoint,
    )


def resolve_region(config: Mapping[str, str], env: Mapping[str, str] = os.environ) -> str:
    """The region images are made in, as resolve_settings finds it; needs no credentials (Check has none to spare)."""
    key, variable = REGION
    value = (config.get(key) or env.get(variable) or "").strip()
    return value or DEFAULT_REGION


def _split_endpoint(url: str | None) -> tuple[str, str | None]:
    if url is None:
        return "https", None
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise CvmImageError(
            f"The CVM endpoint {url!r} ({ENDPOINT[0]} or {ENDPOINT[1]}) must look like https://host[:port] or http://127.0.0.1:9000."
        )
    return parts.scheme, parts.netloc
