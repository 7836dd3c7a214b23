"""The API surface: which service a signed request is for, its action, version and region, then the handler.

Each service has its own modules (cvm_responses.py, pipeline_responses.py and template_responses.py; tag_responses.py;
as_responses.py for Auto Scaling; sts_responses.py); this one checks who signed a request and dispatches between them.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import as_responses, cvm_responses, pipeline_responses, signing, sts_responses, tag_responses, template_responses
from .backend import CvmBackend
from .config import REGIONS
from .errors import ApiError
from .params import Action, Obj, Params, decode_body, parse
from .sts import Caller

ACTIONS = {**cvm_responses.ACTIONS, **pipeline_responses.ACTIONS, **template_responses.ACTIONS}  # CVM's, by name
API_VERSION = cvm_responses.API_VERSION
REGION_FORM = re.compile(r"^[a-z]{2}-[a-z]+(-[a-z]+)*$")  # ap-guangzhou, na-siliconvalley, ap-shanghai-fsi


@dataclass(frozen=True)
class Service:
    version: str
    actions: dict[str, Action]
    regional: bool  # the Region header is required
    by_caller: bool = False  # handlers take the caller (who signed) in place of the region


SERVICES = {
    "cvm": Service(API_VERSION, ACTIONS, regional=True),
    "tag": Service(tag_responses.API_VERSION, tag_responses.ACTIONS, regional=False),
    "as": Service(as_responses.API_VERSION, as_responses.ACTIONS, regional=True),
    "sts": Service(sts_responses.API_VERSION, sts_responses.ACTIONS, regional=False, by_caller=True),
}
loggable = sts_responses.loggable

__all__ = ["ACTIONS", "API_VERSION", "SERVICES", "Action", "Obj", "authenticate", "decode_body", "handle", "loggable"]


def _check_region(region: str) -> None:
    """A region outside the list answers as the API does (README "Known differences"): a malformed name is
    InvalidParameterValue, a well-formed one the service is not offered in is UnsupportedRegion."""
    if region in REGIONS:
        return
    if not REGION_FORM.match(region):
        raise ApiError(
            "InvalidParameterValue", f"A value specified in `X-TC-Region` is not valid, is unsupported, or cannot be "
            f"used: `{region}`.",
        )
    raise ApiError("UnsupportedRegion", f"The action not support this region: `{region}`.")


def request_service(headers: Mapping[str, str]) -> str | None:
    """The service a request is for: the one it was signed for, or STS for an unsigned exchange."""
    return "sts" if signing.unsigned(headers) else signing.scope_service(headers)


def authenticate(backend: CvmBackend, headers: Mapping[str, str], body: bytes) -> Caller | None:
    """Who signed the request (a key of either account, or temporary credentials with their live token); None for an
    STS exchange sent unsigned, as the SDK sends AssumeRoleWithWebIdentity (`Authorization: SKIP`)."""
    if signing.unsigned(headers):
        if headers.get("x-tc-action", "").strip() not in sts_responses.UNSIGNED_ACTIONS \
                or signing.host_service(headers.get("host", "")) not in (None, "sts"):
            raise ApiError("AuthFailure.InvalidAuthorization", "Only STS web identity and SAML exchanges may skip the signature.")
        return None
    with backend.lock:
        return backend.caller(signing.verify(headers, body, backend.signing_keys()), headers.get("x-tc-token"))


def handle(
    backend: CvmBackend, headers: Mapping[str, str], params: Params, caller: Caller | None = None, request_id: str = ""
) -> Params:
    """Answer one authenticated API request (answered with `request_id`); `headers` are keyed by lowercase name. The
    service is the one the request was signed for (the credential scope of its Authorization header), or STS for an
    unsigned exchange."""
    service_name = request_service(headers) or "cvm"
    service = SERVICES[service_name]
    action, version, region = (headers.get(name, "").strip() for name in ("x-tc-action", "x-tc-version", "x-tc-region"))
    for value, name in ((action, "Action"), (version, "Version")):
        if not value:
            raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    if service.regional and not region:
        raise ApiError("MissingParameter", "The request is missing a required parameter `Region`.")
    if version != service.version:
        raise ApiError("NoSuchVersion", f"Version `{version}` of {service_name} does not exist; use {service.version}.")
    if action not in service.actions:
        raise ApiError("InvalidAction", f"Action `{action}` does not exist in {service_name}.")
    if region:
        _check_region(region)
    backend.check_allowed(service_name, action)
    spec = service.actions[action]
    parsed = parse(params, spec.schema(backend.config.today))
    with backend.transaction(save=spec.mutating, request_id=request_id):
        return spec.handler(backend, caller if service.by_caller else region, parsed)
