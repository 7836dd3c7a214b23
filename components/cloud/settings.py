"""Where the provider's API calls go and with which credentials: stack config first, then the environment (the
credential sources and their order: sources.py).

Resolved at run time in the provider process and never stored on the pickled provider.
"""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from .credentials import Credentials, Sts
from .errors import CvmImageError
from .sources import CREDENTIAL_KEYS, lookup, profile_region, resolve_sources

DEFAULT_REGION = "ap-guangzhou"  # the bridged tencentcloud provider's default, so images land beside its instances
PUBLIC_DOMAIN = "tencentcloudapi.com"

# stack config key -> environment variable
REGION = ("tencentcloud:region", "TENCENTCLOUD_REGION")
PROTOCOL = ("tencentcloud:protocol", "TENCENTCLOUD_PROTOCOL")
DOMAIN = ("tencentcloud:domain", "TENCENTCLOUD_DOMAIN")
ENDPOINT = ("cvmImage:endpoint", "TENCENTCLOUD_CVM_ENDPOINT")
CONFIG_KEYS = (*CREDENTIAL_KEYS, *(key for key, _ in (REGION, PROTOCOL, DOMAIN, ENDPOINT)))


class ApiSettings(BaseModel):
    """Credentials, region and endpoint for the CVM API (and the Tag and STS APIs beside it)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    credentials: Credentials  # one per process: copies of the settings share it, and its renewals and account
    region: str = DEFAULT_REGION
    scheme: str = "https"
    endpoint: str | None = None  # host[:port]; None means the SDK's public default
    domain: str | None = None  # the root domain of the public endpoints; None means tencentcloudapi.com


def resolve_settings(config: Mapping[str, str], env: Mapping[str, str] = os.environ) -> ApiSettings:
    """Build settings from the stack config the engine sent to `configure`, falling back to the environment."""
    sources = resolve_sources(config, env)
    scheme, endpoint = _split_endpoint(lookup(config, env, ENDPOINT), _protocol(config, env))
    domain, region = lookup(config, env, DOMAIN), resolve_region(config, env)
    metadata = f"{scheme}://{endpoint}/latest/meta-data/" if endpoint and _custom(endpoint) else None
    sts = Sts(region, scheme, service_endpoint(endpoint, "sts"), domain)
    return ApiSettings(
        credentials=Credentials(sources, sts, metadata), region=region, scheme=scheme, endpoint=endpoint, domain=domain
    )


def resolve_region(config: Mapping[str, str], env: Mapping[str, str] = os.environ) -> str:
    """The region images are made in, as resolve_settings finds it; needs no credentials (Check has none to spare)."""
    return lookup(config, env, REGION) or profile_region(config, env) or DEFAULT_REGION


def service_endpoint(endpoint: str | None, service: str) -> str | None:
    """Another service beside the CVM endpoint: a custom endpoint (the emulator) serves them all (the CVM metadata
    server too), the cloud has each service's own host; None: the SDK's default, `<service>.<domain>`."""
    if endpoint is None or _custom(endpoint):
        return endpoint
    host = endpoint.split(":", 1)[0].lower()
    return f"{service}.intl.{PUBLIC_DOMAIN}" if ".intl." in f".{host}" else f"{service}.{PUBLIC_DOMAIN}"


def _custom(endpoint: str) -> bool:
    return not endpoint.split(":", 1)[0].lower().endswith(PUBLIC_DOMAIN)


def _protocol(config: Mapping[str, str], env: Mapping[str, str]) -> str:
    protocol = (lookup(config, env, PROTOCOL) or "HTTPS").lower()
    if protocol not in ("http", "https"):
        raise CvmImageError(f"`{PROTOCOL[0]}` ({PROTOCOL[1]}) must be HTTP or HTTPS.")
    return protocol


def _split_endpoint(url: str | None, default_scheme: str) -> tuple[str, str | None]:
    if url is None:
        return default_scheme, None
    parts = urlsplit(url if "://" in url else f"{default_scheme}://{url}")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise CvmImageError(
            f"The CVM endpoint {url!r} ({ENDPOINT[0]} or {ENDPOINT[1]}) must look like https://host[:port] or http://127.0.0.1:9000."
        )
    return parts.scheme, parts.netloc
