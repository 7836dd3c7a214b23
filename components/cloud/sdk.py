"""What every SDK client of the provider shares: credentials, the HTTP profile, and one request that remembers which
action it answered (for the translator) and passes the account guard first."""

from collections.abc import Callable, Iterator
from typing import Any

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile

from .credentials import Credentials, client_profile
from .retry import Deadline, retrying
from .settings import ApiSettings

PAGE_LIMIT = 100  # the largest page every Describe* the provider pages through allows


def profile(settings: ApiSettings, endpoint: str | None) -> ClientProfile:
    """`endpoint` None: the SDK's public default for the client's service."""
    return client_profile(settings.scheme, endpoint, settings.domain)


def sent(service: str, client: Any, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """One request, refused before it is sent under an account the stack config refuses; an API error
    remembers which action it answered (`service:Action`, or the STS call made for the credentials), for the
    translator."""
    credentials: Credentials = client.credential
    try:
        credentials.guard(action)
        return client.call_json(action, params)["Response"]
    except TencentCloudSDKException as exc:
        exc.api_action = getattr(exc, "api_action", None) or f"{service}:{action}"  # type: ignore[attr-defined]
        exc.credential_source = credentials.sources.describe()  # type: ignore[attr-defined]
        raise


def called(service: str, client: Any, action: str, params: dict[str, Any], deadline: Deadline | None) -> dict[str, Any]:
    """A request that is safe to repeat, retried on transient errors until the deadline; `deadline` None: one attempt
    (after a failure or a cancel, when there is no time left to wait)."""
    if deadline is None:
        return sent(service, client, action, params)
    return retrying(deadline)(sent, service, client, action, params)


def paged(
    call: Callable[[str, dict[str, Any], Deadline], dict[str, Any]], action: str, params: dict[str, Any], set_key: str,
    deadline: Deadline,
) -> Iterator[dict[str, Any]]:
    """Every item of a Describe* answer, page after page (Offset, Limit) until TotalCount."""
    offset = 0
    while True:
        response = call(action, {**params, "Offset": offset, "Limit": PAGE_LIMIT}, deadline)
        page = response.get(set_key) or []
        yield from page
        offset += len(page)
        if not page or offset >= response.get("TotalCount", 0):
            return
