"""TC3-HMAC-SHA256 verification, rebuilt from the request's own signed headers.

The service a request is for is the one its credential scope names (`<date>/<service>/tc3_request`). A Host of
`<service>.[<region>.][intl.]tencentcloudapi.com` must name the same service; any other Host (`127.0.0.1:PORT`, or
the literal `http://127.0.0.1:PORT` that tccli's `--endpoint http://...` sends) is verified as it was signed.
"""

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .errors import ApiError

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "cvm"
SERVICES = ("cvm", "tag", "as", "sts")  # the services the emulator serves
UNSIGNED = "SKIP"  # the Authorization of an STS exchange sent without a signature
MAX_CLOCK_SKEW_SECONDS = 300

_AUTHORIZATION = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/\s,]+)/(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<service>[^/\s,]+)/tc3_request,\s*SignedHeaders=(?P<signed>[a-z0-9;\-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def scope_service(headers: Mapping[str, str]) -> str | None:
    """The service named by the Authorization header's credential scope, or None if the header is garbled."""
    match = _AUTHORIZATION.match(headers.get("authorization", "").strip())
    return match["service"] if match else None


def scope_secret_id(headers: Mapping[str, str]) -> str | None:
    """The SecretId the Authorization header names (verified or not), or None."""
    match = _AUTHORIZATION.match(headers.get("authorization", "").strip())
    return match["secret_id"] if match else None


def unsigned(headers: Mapping[str, str]) -> bool:
    return headers.get("authorization", "").strip() == UNSIGNED


def host_service(host: str) -> str | None:
    """The service a `*.tencentcloudapi.com` Host names (scheme and port allowed), else None."""
    name = urlsplit(host if "//" in host else "//" + host).hostname or ""
    return name.split(".")[0] if name.endswith(".tencentcloudapi.com") else None


def signature(secret_key: str, date: str, string_to_sign: str, service: str = SERVICE) -> str:
    """The TC3 signature of `string_to_sign` for `service`."""
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def canonical_request(headers: Mapping[str, str], signed_headers: list[str], body: bytes) -> str:
    """POST / with an empty query, the named headers (lowercased, trimmed) and the body hash."""
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed_headers)
    payload = b"UNSIGNED-PAYLOAD" if headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD" else body
    return "\n".join(
        ["POST", "/", "", canonical_headers, ";".join(signed_headers), hashlib.sha256(payload).hexdigest()]
    )


def string_to_sign(timestamp: int, date: str, canonical: str, service: str = SERVICE) -> str:
    scope = f"{date}/{service}/tc3_request"
    return "\n".join([ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])


def _timestamp(headers: Mapping[str, str], now: float) -> int:
    raw = headers.get("x-tc-timestamp")
    if raw is None:
        raise ApiError("MissingParameter", "The request is missing a required parameter `Timestamp`.")
    if not raw.strip().isdigit():
        raise ApiError("InvalidParameterValue", "The value of parameter `Timestamp` is not an integer.")
    timestamp = int(raw)
    if abs(timestamp - now) > MAX_CLOCK_SKEW_SECONDS:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            f"Signature expired: request timestamp {timestamp} is more than "
            f"{MAX_CLOCK_SKEW_SECONDS} seconds away from server time {int(now)}.",
        )
    return timestamp


def verify(
    headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], now: float | None = None,
    services: tuple[str, ...] = SERVICES,
) -> str:
    """Check the request's signature; `headers` are keyed by lowercase name. Returns the SecretId."""
    match = _AUTHORIZATION.match(headers.get("authorization", "").strip())
    if match is None or match["service"] not in services:
        raise ApiError("AuthFailure.InvalidAuthorization", "Authorization header is missing or malformed.")
    signed_headers = match["signed"].split(";")
    if any(name not in headers for name in signed_headers):
        raise ApiError("AuthFailure.InvalidAuthorization", "A header named in SignedHeaders is missing.")
    timestamp = _timestamp(headers, time.time() if now is None else now)
    secret_key = secrets.get(match["secret_id"])
    if secret_key is None:
        raise ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that it exists.")
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = canonical_request(headers, signed_headers, body)
    service = match["service"]
    expected = signature(secret_key, date, string_to_sign(timestamp, date, canonical, service), service)
    named = host_service(headers.get("host", ""))
    if match["date"] != date or not hmac.compare_digest(expected, match["signature"]) or named not in (None, service):
        raise ApiError("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
    return match["secret_id"]
