"""STS (2018-08-13) as the emulator keeps it: who signs a request, temporary credentials for roles, and the role of the
emulated CVM instance (a mixin of CvmBackend).

Two accounts sign calls: the emulator's (ACCOUNT_UIN, the start flags' key) and a second one (SECOND_ACCOUNT_UIN, its
own key). The second sees and changes the same resources: it exists to test account guards, not isolation. Every role
name of either account can be assumed; a role of any other account is not found. Temporary credentials are accepted
by every service, signed with their temporary key and sent with their token (`X-TC-Token`), until they expire: after
min(DurationSeconds, sts_credential_seconds). A restart or reset forgets them.
"""

import base64
import binascii
import hmac
import json
import re
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from .config import ACCOUNT_UIN, SECOND_ACCOUNT_UIN, EmulatorConfig
from .errors import ApiError

DEFAULT_DURATION_SECONDS = 7200
MAX_DURATION_SECONDS = 43200
FORGET_AFTER_SECONDS = 3600  # an expired key is still known (TokenFailure, not SecretIdNotFound) this long
TEMPORARY_PREFIX = "AKIDTMP"
ROLE_ARN = re.compile(r"^qcs::cam::uin/(?P<account>\d+):(?:roleName/(?P<name>[\w+=,.@-]{1,128})|role/(?P<id>\d+))$")
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,128}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,128}$")
SAML_PROVIDER = re.compile(r"^qcs::cam::uin/\d+:saml-provider/[\w+=,.@-]+$")


@dataclass(frozen=True)
class Caller:
    """Who signed a request, as GetCallerIdentity answers it."""

    account: str
    arn: str
    user_id: str
    principal_id: str
    kind: str  # CAMUser or CAMRole


@dataclass(frozen=True)
class Issued:
    secret_id: str
    secret_key: str
    token: str
    expires_at: float
    caller: Caller


@dataclass(frozen=True)
class RoleRequest:
    role_arn: str
    session_name: str
    duration: int | None = None  # DurationSeconds; None or 0: the default


def account_user(account: str) -> Caller:
    return Caller(account, f"qcs::cam::uin/{account}:uin/{account}", account, account, "CAMUser")


def _param_error(message: str) -> ApiError:
    return ApiError("InvalidParameter.ParamError", message)


def _role(request: RoleRequest, principal: str | None) -> Caller:
    """The role session's identity (`principal`: who asked for it, else the role's account); ResourceNotFound.RoleNotFound
    for a role of an account the emulator does not have."""
    match = ROLE_ARN.match(request.role_arn)
    if match is None:
        raise _param_error(f"`RoleArn` {request.role_arn!r} is not a role ARN (qcs::cam::uin/<uin>:roleName/<name>).")
    if match["account"] not in (ACCOUNT_UIN, SECOND_ACCOUNT_UIN):
        raise ApiError("ResourceNotFound.RoleNotFound", f"The role {request.role_arn} does not exist.")
    if not SESSION_NAME.match(request.session_name):
        raise _param_error("`RoleSessionName` takes 2-128 letters, digits and `+=,.@_-`.")
    role_id = match["id"] or str(4611686018000000000 + zlib.crc32(request.role_arn.encode()))
    account = match["account"]
    arn, user_id = f"qcs::sts:{account}:assumed-role/{role_id}", f"{role_id}:{request.session_name}"
    return Caller(account, arn, user_id, principal or account, "CAMRole")


def _lifetime(duration: int | None, cap: float) -> float:
    if duration is not None and duration < 0:
        raise _param_error("`DurationSeconds` must not be negative.")
    if duration is not None and duration > MAX_DURATION_SECONDS:
        raise ApiError("InvalidParameter.OverTimeError", f"`DurationSeconds` is at most {MAX_DURATION_SECONDS}.")
    return min(float(duration or DEFAULT_DURATION_SECONDS), cap)


def check_policy(policy: str) -> None:
    """Policy: a URL-encoded JSON policy without `principal`."""
    try:
        document = json.loads(unquote_plus(policy))
    except ValueError:
        raise ApiError("InvalidParameter.StrategyFormatError", "`Policy` is not URL-encoded JSON.") from None
    if not isinstance(document, dict):
        raise ApiError("InvalidParameter.StrategyFormatError", "`Policy` must be a JSON object.")
    if "principal" in json.dumps(document).lower():
        raise ApiError("InvalidParameter.StrategyInvalid", "`Policy` must not name a principal.")


def check_external_id(external_id: str) -> None:
    if not EXTERNAL_ID.match(external_id):
        raise _param_error("`ExternalId` takes 2-128 letters, digits and `+=,.@:/_-`.")


def check_web_identity_token(token: str, now: float) -> None:
    """A JWT (its signature is not checked) that has not expired."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise ApiError("InvalidParameter.WebIdentityTokenError", "`WebIdentityToken` is not a JWT.") from None
    expires = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(expires, (int, float)) and expires <= now:
        raise ApiError("InvalidParameter.WebIdentityTokenError", "`WebIdentityToken` has expired.")


def check_saml(assertion: str, principal_arn: str) -> None:
    try:
        base64.b64decode(assertion, validate=True)
    except binascii.Error:
        raise _param_error("`SAMLAssertion` is not base64.") from None
    if not SAML_PROVIDER.match(principal_arn):
        raise _param_error("`PrincipalArn` is not a SAML provider (qcs::cam::uin/<uin>:saml-provider/<name>).")


class StsActions:
    # Provided by CvmBackend.
    config: EmulatorConfig
    clock: Callable[[], float]
    temporary_keys: dict[str, Issued]

    def _static_keys(self) -> dict[str, tuple[str, str]]:
        """secret id -> (secret key, account)"""
        return {
            self.config.secret_id: (self.config.secret_key, ACCOUNT_UIN),
            self.config.second_secret_id: (self.config.second_secret_key, SECOND_ACCOUNT_UIN),
        }

    def signing_keys(self) -> dict[str, str]:
        """Every secret key a request may be signed with, by secret id (expired temporary ones too)."""
        keys = {secret_id: key for secret_id, (key, _) in self._static_keys().items()}
        return {**keys, **{secret_id: issued.secret_key for secret_id, issued in self.temporary_keys.items()}}

    def caller(self, secret_id: str, token: str | None) -> Caller:
        """Who signed with this (verified) key; a temporary key needs its own, live token."""
        if secret_id in self._static_keys():
            return account_user(self._static_keys()[secret_id][1])  # a token beside a long-term key is ignored
        issued = self.temporary_keys[secret_id]
        if token is None:
            raise ApiError("AuthFailure.TokenFailure", "A temporary key was used without its token (X-TC-Token).")
        if not hmac.compare_digest(token.strip(), issued.token):
            raise ApiError("AuthFailure.TokenFailure", "The token does not belong to the key that signed the request.")
        if self.clock() >= issued.expires_at:
            raise ApiError("AuthFailure.TokenFailure", "The token has expired.")
        return issued.caller

    def assume_role(self, signer: Caller, request: RoleRequest) -> Issued:
        return self._issue(_role(request, signer.principal_id), _lifetime(request.duration, self.config.sts_credential_seconds))

    def assume_role_unsigned(self, request: RoleRequest) -> Issued:
        """AssumeRoleWithWebIdentity and AssumeRoleWithSAML, which no key signs."""
        return self._issue(_role(request, None), _lifetime(request.duration, self.config.sts_credential_seconds))

    def cvm_role_credentials(self, role_name: str) -> Issued | None:
        """The metadata server's answer for the instance's role; None for any other name."""
        if role_name != self.config.cvm_role_name:
            return None
        request = RoleRequest(f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/{role_name}", "cvm-instance")
        return self._issue(_role(request, ACCOUNT_UIN), min(DEFAULT_DURATION_SECONDS, self.config.sts_credential_seconds))

    def _issue(self, caller: Caller, lifetime: float) -> Issued:
        now = self.clock()
        for secret_id in [key for key, issued in self.temporary_keys.items() if issued.expires_at < now - FORGET_AFTER_SECONDS]:
            del self.temporary_keys[secret_id]
        issued = Issued(
            secret_id=TEMPORARY_PREFIX + secrets.token_hex(12).upper(),
            secret_key="emulator-sts-key-" + secrets.token_urlsafe(24),
            token="emulator-sts-token-" + secrets.token_urlsafe(48),
            expires_at=float(int(now + lifetime)),  # whole seconds, exactly the ExpiredTime the answer gives
            caller=caller,
        )
        self.temporary_keys[issued.secret_id] = issued
        return issued
