"""What every SDK client of the provider shares: credentials, the HTTP profile, and one request that remembers which
action it answered (for the translator)."""

from typing import Any

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from .settings import ApiSettings

REQUEST_TIMEOUT_SECONDS = 30


def credential(settings: ApiSettings) -> Credential:
    return Credential(
        settings.secret_id.get_secret_value(),
        settings.secret_key.get_secret_value(),
        settings.security_token.get_secret_value() if settings.security_token else None,
    )


def profile(settings: ApiSettings, endpoint: str | None) -> ClientProfile:
    """`endpoint` None: the SDK's public default for the client's service."""
    return ClientProfile(httpProfile=HttpProfile(protocol=settings.scheme, endpoint=endpoint, reqTimeout=REQUEST_TIMEOUT_SECONDS))


def sent(service: str, client: Any, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """One request; an API error remembers which action it answered (`service:Action`), for the translator."""
    try:
        return client.call_json(action, params)["Response"]
    except TencentCloudSDKException as exc:
        exc.api_action = f"{service}:{action}"  # type: ignore[attr-defined]
        raise
