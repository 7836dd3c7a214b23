"""The process's credentials: the SDK's credential classes (tencentcloud.common.credential) chained in the order
sources.py resolves, renewed well before they expire, and the account guard.

The SDK's clients ask their credential for its keys while building each request (`get_credential_info`), so a renewed
key reaches the next request, also in the middle of a long build. The subclasses here add only what the SDK's classes
lack: AssumeRole's ExternalId, Policy, SourceIdentity and MFA fields; AssumeRole signed with temporary credentials (a
chain, as the bridged provider's); the configured region, endpoint and scheme for STS; renewal timed on the lifetime
STS granted rather than the one asked for, in fractions of a second; and failures that name the role (the SDK's
CVMRoleCredential swallows every error and hands out None).
"""

import threading
import time
from typing import Any
from urllib.parse import quote_plus

from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import (
    Credential,
    CVMRoleCredential,
    OIDCRoleArnCredential,
    STSAssumeRoleCredential,
)
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from .errors import AccountRefused, RoleFailure
from .sources import (
    ALLOWED_ACCOUNT_IDS,
    FORBIDDEN_ACCOUNT_IDS,
    AssumeRole,
    CamRole,
    CredentialSources,
    Saml,
    StaticKeys,
    Step,
    WebIdentity,
)

STS_VERSION = "2018-08-13"
REQUEST_TIMEOUT_SECONDS = 30
RENEW_AFTER = 0.8  # of the granted lifetime: one hour's credentials are renewed with 12 minutes to spare

SdkCredential = Any  # the SDK's credential classes share no base: anything with get_credential_info()


def client_profile(scheme: str, endpoint: str | None, domain: str | None) -> ClientProfile:
    """`endpoint` None: the SDK's public endpoint of the client's service, `<service>.<domain>`."""
    http = HttpProfile(protocol=scheme, endpoint=endpoint, reqTimeout=REQUEST_TIMEOUT_SECONDS, rootDomain=domain)
    return ClientProfile(httpProfile=http)


class Sts:
    """STS (2018-08-13) beside the CVM endpoint (settings.py decides where), in the stack's region."""

    def __init__(self, region: str, scheme: str, endpoint: str | None, domain: str | None) -> None:
        self.region, self.endpoint = region, endpoint
        self._profile = client_profile(scheme, endpoint, domain)

    def call(self, signer: SdkCredential | None, action: str, params: dict[str, Any], role: str | None = None) -> dict[str, Any]:
        """One STS request; unsigned (`Authorization: SKIP`) without a signer. A failure for a role names it."""
        client = CommonClient("sts", STS_VERSION, signer, self.region, self._profile)
        try:
            return client.call_json(action, params, options=None if signer else {"SkipSign": True})["Response"]
        except RoleFailure:
            raise  # a role further down the chain: it names itself
        except TencentCloudSDKException as exc:
            failed = exc if role is None else RoleFailure(exc, role, f"STS {action}")
            failed.api_action = f"sts:{action}"  # type: ignore[attr-defined]
            raise failed from None


class _Renewing:
    """Renewal for the SDK's STS classes: theirs comes at a fixed share of the lifetime they asked for, in whole
    seconds; this one once RENEW_AFTER of the lifetime STS granted (its ExpiredTime) has passed."""

    _tmp_secret_id: str | None
    _tmp_secret_key: str | None
    _token: str | None
    _renew_at = 0.0

    def _renew_if_due(self) -> None:
        """Called by the SDK's classes under their lock, before they hand out the keys."""
        if self._token is not None and time.time() < self._renew_at:
            return
        asked_at = time.time()
        answer = self._exchange()
        keys = answer["Credentials"]
        self._tmp_secret_id, self._tmp_secret_key, self._token = keys["TmpSecretId"], keys["TmpSecretKey"], keys["Token"]
        self._renew_at = asked_at + RENEW_AFTER * (float(answer["ExpiredTime"]) - asked_at)

    def _exchange(self) -> dict[str, Any]:
        raise NotImplementedError


class AssumedRole(_Renewing, STSAssumeRoleCredential):
    """AssumeRole, signed with the credential of the step before (static keys, or temporary ones: a chain)."""

    def __init__(self, step: Step, base: SdkCredential, sts: Sts) -> None:
        role: AssumeRole = step.source  # type: ignore[assignment]
        super().__init__(None, None, role.role_arn, role.session_name, role.session_duration)
        self._role, self._described, self._base, self._sts = role, step.describe(), base, sts

    def _need_refresh(self) -> None:
        self._renew_if_due()

    def _exchange(self) -> dict[str, Any]:
        role = self._role
        optional = {
            "ExternalId": role.external_id,
            "Policy": quote_plus(role.policy) if role.policy else None,  # STS takes it URL-encoded
            "SourceIdentity": role.source_identity,
            "SerialNumber": role.serial_number,
            "TokenCode": role.token_code.get_secret_value() if role.token_code else None,
        }
        params = {"RoleArn": role.role_arn, "RoleSessionName": role.session_name, "DurationSeconds": role.session_duration}
        params.update({name: value for name, value in optional.items() if value})
        return self._sts.call(self._base, "AssumeRole", params, self._described)


class _Unsigned(_Renewing, OIDCRoleArnCredential):
    """The SDK's class for STS exchanges that need no signature: a web identity token, or a SAML assertion."""

    action = ""

    def __init__(self, step: Step, sts: Sts) -> None:
        role: WebIdentity | Saml = step.source  # type: ignore[assignment]
        super().__init__(sts.region, None, None, role.role_arn, role.session_name, role.session_duration)
        self._described, self._sts = step.describe(), sts
        self._params = {"RoleArn": role.role_arn, "RoleSessionName": role.session_name, "DurationSeconds": role.session_duration}

    def _keep_fresh(self) -> None:
        self._renew_if_due()

    def _exchange(self) -> dict[str, Any]:
        return self._sts.call(None, self.action, self._params, self._described)


class WebIdentityRole(_Unsigned):
    action = "AssumeRoleWithWebIdentity"

    def __init__(self, step: Step, sts: Sts) -> None:
        super().__init__(step, sts)
        role: WebIdentity = step.source  # type: ignore[assignment]
        self._params.update(ProviderId=role.provider_id, WebIdentityToken=role.web_identity_token.get_secret_value())


class SamlRole(_Unsigned):
    action = "AssumeRoleWithSAML"

    def __init__(self, step: Step, sts: Sts) -> None:
        super().__init__(step, sts)
        role: Saml = step.source  # type: ignore[assignment]
        self._params.update(SAMLAssertion=role.saml_assertion.get_secret_value(), PrincipalArn=role.principal_arn)


class CvmRole(CVMRoleCredential):
    """The CVM instance's role from the metadata server; `metadata_url` another server (the emulator's, in tests)."""

    def __init__(self, step: Step, metadata_url: str | None) -> None:
        role: CamRole = step.source  # type: ignore[assignment]
        super().__init__(role.role_name)
        self._described = step.describe()
        if metadata_url:
            self._role_endpoint = f"{metadata_url}cam/security-credentials/"

    def get_credential_info(self) -> tuple[str, str, str]:
        found = super().get_credential_info()
        if None in found:
            cause = TencentCloudSDKException(
                "ClientError.MetadataError",
                "the metadata server gave no credentials for it: camRoleName works only on a CVM instance the role is "
                "bound to",
            )
            raise RoleFailure(cause, self._described, "the CVM metadata server")
        return found


def _credential(step: Step, base: SdkCredential | None, sts: Sts, metadata_url: str | None) -> SdkCredential:
    match step.source:
        case StaticKeys(secret_id=secret_id, secret_key=secret_key, token=token):
            return Credential(secret_id.get_secret_value(), secret_key.get_secret_value(), token.get_secret_value() if token else None)
        case CamRole():
            return CvmRole(step, metadata_url)
        case AssumeRole():
            return AssumedRole(step, base, sts)
        case WebIdentity():
            return WebIdentityRole(step, sts)
        case _:
            return SamlRole(step, sts)


class Credentials:
    """What every SDK client of the process signs with (the SDK asks it, like its own classes, for
    get_credential_info), and the account guard: before the first call, STS GetCallerIdentity says whose
    credentials they are, once per process."""

    def __init__(self, sources: CredentialSources, sts: Sts, metadata_url: str | None = None) -> None:
        self.sources, self.sts, self.metadata_url = sources, sts, metadata_url
        self._signer: SdkCredential = None
        for step in sources.steps:
            self._signer = _credential(step, self._signer, sts, metadata_url)
        self._lock = threading.Lock()
        self._account: str | None = None

    def get_credential_info(self) -> tuple[str, str, str | None]:
        return self._signer.get_credential_info()

    def guard(self, action: str) -> None:
        """Refuse every call under an account the stack config refuses, as the bridged provider refuses to start: no
        change, and no read either, reaches the wrong account. Check and Diff make no call, so preview asks nothing."""
        allowed, forbidden = self.sources.allowed_account_ids, self.sources.forbidden_account_ids
        if not (allowed or forbidden):
            return
        account = self.account()
        if allowed and account not in allowed:
            rule = f"which `{ALLOWED_ACCOUNT_IDS}` does not list (it allows {', '.join(allowed)})"
        elif account in forbidden:
            rule = f"which `{FORBIDDEN_ACCOUNT_IDS}` lists"
        else:
            return
        raise AccountRefused(
            f"the credentials ({self.sources.describe()}) belong to Tencent Cloud account {account}, {rule}. {action} "
            "was not sent: no call reaches that account, so nothing was changed. Sign with credentials of the stack's "
            "own account (README: \"Where credentials live\" says where each comes from), or correct the account "
            "ids in the stack config."
        )

    def account(self) -> str:
        """The account (main-account UIN) the credentials belong to, asked of STS once."""
        with self._lock:
            if self._account is None:
                self._account = str(self.sts.call(self._signer, "GetCallerIdentity", {})["AccountId"])
            return self._account
