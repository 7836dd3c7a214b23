"""Which credentials the provider signs with: every source the bridged `tencentcloud` provider takes, under its stack
config keys (`tencentcloud:`; objects arrive as JSON text) and environment variables (`TENCENTCLOUD_*`), applied in
its order (Terraform's provider.go, `providerConfigure`): static keys, else a tccli profile; then `camRoleName`; then
the profile's role; then the role in the environment; then the `assumeRole`, `assumeRoleWithSaml` and
`assumeRoleWithWebIdentity` objects. Each later source replaces the credential before it, or, for AssumeRole, is
assumed with it.

Plain data: nothing here calls an API (credentials.py turns the steps into the SDK's credential objects).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from .errors import CvmImageError

MAX_SESSION_SECONDS = 43200  # STS DurationSeconds' maximum; the bridged provider checks 0..43200
DEFAULT_SESSION_SECONDS = 7200

# stack config key -> environment variable
SECRET_ID = ("tencentcloud:secretId", "TENCENTCLOUD_SECRET_ID")
SECRET_KEY = ("tencentcloud:secretKey", "TENCENTCLOUD_SECRET_KEY")
SECURITY_TOKEN = ("tencentcloud:securityToken", "TENCENTCLOUD_SECURITY_TOKEN")
CAM_ROLE_NAME = ("tencentcloud:camRoleName", "TENCENTCLOUD_CAM_ROLE_NAME")
PROFILE = ("tencentcloud:profile", "TENCENTCLOUD_PROFILE")
SHARED_CREDENTIALS_DIR = ("tencentcloud:sharedCredentialsDir", "TENCENTCLOUD_SHARED_CREDENTIALS_DIR")
ASSUME_ROLE = "tencentcloud:assumeRole"
ASSUME_ROLE_WITH_SAML = "tencentcloud:assumeRoleWithSaml"
ASSUME_ROLE_WITH_WEB_IDENTITY = "tencentcloud:assumeRoleWithWebIdentity"
ALLOWED_ACCOUNT_IDS = "tencentcloud:allowedAccountIds"
FORBIDDEN_ACCOUNT_IDS = "tencentcloud:forbiddenAccountIds"
CREDENTIAL_KEYS = (
    *(key for key, _ in (SECRET_ID, SECRET_KEY, SECURITY_TOKEN, CAM_ROLE_NAME, PROFILE, SHARED_CREDENTIALS_DIR)),
    ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY, ALLOWED_ACCOUNT_IDS, FORBIDDEN_ACCOUNT_IDS,
)

# An object's fields (camelCase, as in stack config) -> the environment variables that fill the ones it leaves out.
_ROLE = "TENCENTCLOUD_ASSUME_ROLE"
ROLE_ENV = {"roleArn": f"{_ROLE}_ARN", "sessionName": f"{_ROLE}_SESSION_NAME", "sessionDuration": f"{_ROLE}_SESSION_DURATION"}
ASSUME_ROLE_ENV = {
    **ROLE_ENV, "externalId": f"{_ROLE}_EXTERNAL_ID", "sourceIdentity": f"{_ROLE}_SOURCE_IDENTITY",
    "serialNumber": f"{_ROLE}_SERIAL_NUMBER", "tokenCode": f"{_ROLE}_TOKEN_CODE",
}
WEB_IDENTITY_ENV = {
    **ROLE_ENV, "webIdentityToken": f"{_ROLE}_WEB_IDENTITY_TOKEN", "providerId": f"{_ROLE}_PROVIDER_ID",
}
SAML_ENV = {**ROLE_ENV, "samlAssertion": f"{_ROLE}_SAML_ASSERTION", "principalArn": f"{_ROLE}_PRINCIPAL_ARN"}


class StaticKeys(BaseModel):
    model_config = ConfigDict(frozen=True)

    secret_id: SecretStr
    secret_key: SecretStr
    token: SecretStr | None = None


class CamRole(BaseModel):
    """The role bound to the CVM instance this runs on, from its metadata server."""

    model_config = ConfigDict(frozen=True)

    role_name: str


class _Role(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, extra="forbid")

    role_arn: str = Field(min_length=1)
    session_name: str = Field(min_length=2, max_length=128, pattern=r"^[\w+=,.@-]+$")
    session_duration: int = Field(DEFAULT_SESSION_SECONDS, ge=0, le=MAX_SESSION_SECONDS)


class AssumeRole(_Role):
    """STS AssumeRole, signed with the credential of the step before."""

    external_id: str | None = None
    policy: str | None = None
    source_identity: str | None = None
    serial_number: str | None = None
    token_code: SecretStr | None = None


class WebIdentity(_Role):
    """STS AssumeRoleWithWebIdentity (unsigned): an OIDC token, such as GitHub Actions' ID token, for a role."""

    web_identity_token: SecretStr
    provider_id: str = Field("OIDC", min_length=1)


class Saml(_Role):
    """STS AssumeRoleWithSAML (unsigned)."""

    saml_assertion: SecretStr
    principal_arn: str = Field(min_length=1)


Source = Union[StaticKeys, CamRole, AssumeRole, WebIdentity, Saml]
SELF_SUFFICIENT = (StaticKeys, CamRole, WebIdentity, Saml)  # need no credential before them


@dataclass(frozen=True)
class Step:
    origin: str  # where it was set, for messages: config keys, environment variables or a profile file
    source: Source

    def describe(self) -> str:
        source = self.source
        if isinstance(source, CamRole):
            return f"the CVM role `{source.role_name}` ({self.origin})"
        if isinstance(source, (AssumeRole, WebIdentity, Saml)):
            return f"role {source.role_arn} ({self.origin})"
        return f"the keys of {self.origin}"


@dataclass(frozen=True)
class CredentialSources:
    steps: tuple[Step, ...]  # the first needs no credential; each later one is an AssumeRole on top of the one before
    allowed_account_ids: tuple[str, ...] = ()
    forbidden_account_ids: tuple[str, ...] = ()

    def describe(self) -> str:
        """Which credentials sign, for messages: never a secret."""
        return ", assumed with ".join(step.describe() for step in reversed(self.steps))


class _TccliCredential(BaseModel):
    """`<profile>.credential` as tccli writes it (JSON); the bridged provider reads these keys and ignores the rest."""

    model_config = ConfigDict(extra="ignore")

    secret_id: str = Field("", alias="secretId")
    secret_key: str = Field("", alias="secretKey")
    token: str = ""
    role_arn: str = Field("", alias="role-arn")
    role_session_name: str = Field("", alias="role-session-name")


def lookup(config: Mapping[str, str], env: Mapping[str, str], names: tuple[str, str]) -> str | None:
    """The stack config key's value, else the environment variable's; blank counts as unset."""
    key, variable = names
    value = config.get(key) or env.get(variable)
    return value.strip() if isinstance(value, str) and value.strip() else None


def resolve_sources(config: Mapping[str, str], env: Mapping[str, str]) -> CredentialSources:
    """Every source that is set, in the bridged provider's order, cut to the ones that sign (a later source that needs
    no credential makes the earlier ones unused)."""
    steps = [*_keys_and_profile(config, env), *_environment_role(env), *_configured_roles(config, env)]
    allowed, forbidden = _account_ids(config, ALLOWED_ACCOUNT_IDS), _account_ids(config, FORBIDDEN_ACCOUNT_IDS)
    if allowed and forbidden:
        raise CvmImageError(f"Set `{ALLOWED_ACCOUNT_IDS}` or `{FORBIDDEN_ACCOUNT_IDS}`, not both.")
    return CredentialSources(_signing(steps), allowed, forbidden)


def _keys_and_profile(config: Mapping[str, str], env: Mapping[str, str]) -> list[Step]:
    """The keys, else the tccli profile's; the CVM role; the profile's role."""
    keys = _static_keys(config, env)
    if keys:
        profile, steps = None, [keys]
    else:
        profile, steps = _profile_credential(config, env), []
    origin = f"the tccli profile `{_profile_name(config, env)}`"
    if profile and profile.secret_id and profile.secret_key:
        steps.append(Step(origin, StaticKeys(secret_id=profile.secret_id, secret_key=profile.secret_key,
                                              token=profile.token or None)))
    if role_name := lookup(config, env, CAM_ROLE_NAME):
        steps.append(Step(f"{CAM_ROLE_NAME[0]} / {CAM_ROLE_NAME[1]}", CamRole(role_name=role_name)))
    if profile and profile.role_arn and profile.role_session_name:
        role = {"roleArn": profile.role_arn, "sessionName": profile.role_session_name}
        steps.append(Step(origin, _validated(AssumeRole, role, origin)))
    return steps


def _configured_roles(config: Mapping[str, str], env: Mapping[str, str]) -> list[Step]:
    if config.get(ASSUME_ROLE_WITH_SAML) and config.get(ASSUME_ROLE_WITH_WEB_IDENTITY):
        raise CvmImageError(f"Set `{ASSUME_ROLE_WITH_SAML}` or `{ASSUME_ROLE_WITH_WEB_IDENTITY}`, not both.")
    return [_configured(config, env, key, model, fields) for key, model, fields in _OBJECTS if config.get(key)]


_OBJECTS = (
    (ASSUME_ROLE, AssumeRole, ASSUME_ROLE_ENV),
    (ASSUME_ROLE_WITH_SAML, Saml, SAML_ENV),
    (ASSUME_ROLE_WITH_WEB_IDENTITY, WebIdentity, WEB_IDENTITY_ENV),
)


def _signing(steps: list[Step]) -> tuple[Step, ...]:
    """The steps from the last one that needs no credential on: those before it sign nothing."""
    starts = [index for index, step in enumerate(steps) if isinstance(step.source, SELF_SUFFICIENT)]
    if not starts:
        raise CvmImageError(_missing(steps))
    return tuple(steps[starts[-1]:])


def _missing(steps: list[Step]) -> str:
    how = (
        "set `pulumi config set tencentcloud:secretId <id>` and `pulumi config set --secret tencentcloud:secretKey "
        "<key>`, or export TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY. Or use a tccli profile "
        "(`tencentcloud:profile`, files in ~/.tccli), `tencentcloud:camRoleName` on a CVM instance, or a web identity "
        "(`tencentcloud:assumeRoleWithWebIdentity`): README \"Where credentials live\"."
    )
    if steps:
        return f"No Tencent Cloud credentials to assume {steps[0].describe()} with: {how}"
    return f"No Tencent Cloud credentials: {how}"


def _static_keys(config: Mapping[str, str], env: Mapping[str, str]) -> Step | None:
    secret_id, secret_key = lookup(config, env, SECRET_ID), lookup(config, env, SECRET_KEY)
    token = lookup(config, env, SECURITY_TOKEN)
    if not (secret_id or secret_key or token):
        return None
    if not secret_id or not secret_key:
        raise CvmImageError(
            "Incomplete Tencent Cloud keys: set both `pulumi config set tencentcloud:secretId <id>` and "
            "`pulumi config set --secret tencentcloud:secretKey <key>`, or export both TENCENTCLOUD_SECRET_ID and "
            "TENCENTCLOUD_SECRET_KEY (a security token goes with them)."
        )
    in_config = [key for key, _ in (SECRET_ID, SECRET_KEY, SECURITY_TOKEN) if config.get(key)]
    origin = "the stack config (tencentcloud:secretId/secretKey)" if in_config else "the environment (TENCENTCLOUD_SECRET_ID/SECRET_KEY)"
    return Step(origin, StaticKeys(secret_id=secret_id, secret_key=secret_key, token=token))


def _environment_role(env: Mapping[str, str]) -> list[Step]:
    """TENCENTCLOUD_ASSUME_ROLE_ARN with _SESSION_NAME: a web identity with a web identity token, SAML with an
    assertion and a principal, else AssumeRole."""
    values = _environment(env, {**ASSUME_ROLE_ENV, **WEB_IDENTITY_ENV, **SAML_ENV})
    if not (values.get("roleArn") and values.get("sessionName")):
        return []
    saml = bool(values.get("samlAssertion") and values.get("principalArn"))
    if saml and values.get("webIdentityToken"):
        raise CvmImageError(f"Set {SAML_ENV['samlAssertion']} with {SAML_ENV['principalArn']}, or "
                            f"{WEB_IDENTITY_ENV['webIdentityToken']}, not both.")
    model, fields = (Saml, SAML_ENV) if saml else (WebIdentity, WEB_IDENTITY_ENV) if values.get("webIdentityToken") \
        else (AssumeRole, ASSUME_ROLE_ENV)
    origin = f"{ROLE_ENV['roleArn']} and the other {_ROLE}_* variables"
    return [Step(origin, _validated(model, {name: values[name] for name in fields if name in values}, origin))]


def _configured(config: Mapping[str, str], env: Mapping[str, str], key: str, model: type[_Role], fields: dict[str, str]) -> Step:
    """An object of stack config; the environment fills the fields it leaves out, as the bridged provider's do."""
    given = _json(config[key], key)
    if not isinstance(given, dict):
        raise CvmImageError(f"`{key}` must be an object, e.g. `pulumi config set --path {key}.roleArn <arn>`.")
    return Step(f"`{key}`", _validated(model, {**_environment(env, fields), **given}, f"`{key}`"))


def _environment(env: Mapping[str, str], fields: dict[str, str]) -> dict[str, str]:
    return {name: env[variable].strip() for name, variable in fields.items() if env.get(variable, "").strip()}


def _validated(model: type[_Role], values: dict[str, Any], origin: str) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        # Field and rule only: the input may be a token or a key.
        problems = "; ".join(f"{'.'.join(map(str, item['loc'])) or 'value'}: {item['msg']}" for item in error.errors())
        raise CvmImageError(f"{origin} is invalid: {problems}.") from None


def _json(text: str, key: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise CvmImageError(f"`{key}` is not valid JSON; set its fields with `pulumi config set --path`.") from None


def _account_ids(config: Mapping[str, str], key: str) -> tuple[str, ...]:
    if not config.get(key):
        return ()
    ids = _json(config[key], key)
    if not isinstance(ids, list) or not all(isinstance(item, (str, int)) and str(item).isdigit() for item in ids):
        raise CvmImageError(f"`{key}` must be a list of account ids (UINs, digits), e.g. "
                            f"`pulumi config set --path '{key}[0]' 100000000001`.")
    return tuple(str(item) for item in ids)


# -- tccli profiles (`tccli configure`): <dir>/<profile>.credential and <dir>/<profile>.configure, JSON -------------------


def _profile_name(config: Mapping[str, str], env: Mapping[str, str]) -> str:
    return lookup(config, env, PROFILE) or "default"


def _profile_file(config: Mapping[str, str], env: Mapping[str, str], suffix: str) -> Path:
    home = env.get("HOME") or str(Path.home())
    folder = lookup(config, env, SHARED_CREDENTIALS_DIR) or "~/.tccli"
    folder = home + folder[1:] if folder == "~" or folder.startswith("~/") else folder
    return Path(folder) / f"{_profile_name(config, env)}.{suffix}"


def _read_profile(path: Path) -> Any:
    """The file's JSON; None when it is missing (the bridged provider skips a missing file)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise CvmImageError(f"The tccli profile file {path} cannot be read as JSON: {type(error).__name__}.") from None


def _profile_credential(config: Mapping[str, str], env: Mapping[str, str]) -> _TccliCredential | None:
    found = _read_profile(_profile_file(config, env, "credential"))
    return _TccliCredential.model_validate({k: v.strip() for k, v in found.items() if isinstance(v, str)}) \
        if isinstance(found, dict) else None


def profile_region(config: Mapping[str, str], env: Mapping[str, str]) -> str | None:
    """The region of the tccli profile (`_sys_param.region`), read only when no static key is set, as the bridged
    provider does."""
    if any(lookup(config, env, names) for names in (SECRET_ID, SECRET_KEY, SECURITY_TOKEN)):
        return None
    found = _read_profile(_profile_file(config, env, "configure"))
    region = (found.get("_sys_param") or {}).get("region") if isinstance(found, dict) else None
    return (region.strip() or None) if isinstance(region, str) else None
