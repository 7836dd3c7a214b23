"""The STS API (2018-08-13): parameter lists (the installed SDK's request models, checked by tests/emulator), parameter
checks and handlers, action -> handler.

STS answers alike in every region, so its handlers get the caller (who signed the request; None for the exchanges
that come unsigned) where the other services' get the region.
"""

from typing import Any

from .backend import CvmBackend
from .errors import ApiError
from .params import INT, STR, Action, Obj, Params
from .sts import Caller, Issued, RoleRequest, check_external_id, check_policy, check_saml, check_web_identity_token
from .timeline import iso_time

API_VERSION = "2018-08-13"
UNSIGNED_ACTIONS = ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")  # may come with `Authorization: SKIP`
SECRET_PARAMS = ("WebIdentityToken", "SAMLAssertion", "TokenCode")  # never written to the request log

ROLE = {"RoleArn": STR, "RoleSessionName": STR, "DurationSeconds": INT}
ROLE_REQUIRED = ("RoleArn", "RoleSessionName")


def _request(params: Params) -> RoleRequest:
    return RoleRequest(params["RoleArn"], params["RoleSessionName"], params.get("DurationSeconds"))


def _answer(issued: Issued) -> Params:
    credentials = {"Token": issued.token, "TmpSecretId": issued.secret_id, "TmpSecretKey": issued.secret_key}
    return {"Credentials": credentials, "ExpiredTime": int(issued.expires_at), "Expiration": iso_time(issued.expires_at)}


def _signed(caller: Caller | None) -> Caller:
    if caller is None:  # responses.authenticate lets only UNSIGNED_ACTIONS through unsigned
        raise ApiError("AuthFailure.InvalidAuthorization", "This action must be signed.")
    return caller


def assume_role(backend: CvmBackend, caller: Caller | None, params: Params) -> Params:
    if "Policy" in params:
        check_policy(params["Policy"])
    if "ExternalId" in params:
        check_external_id(params["ExternalId"])
    return _answer(backend.assume_role(_signed(caller), _request(params)))


def assume_role_with_web_identity(backend: CvmBackend, caller: Caller | None, params: Params) -> Params:
    if not params["ProviderId"].strip():
        raise ApiError("InvalidParameter.ParamError", "`ProviderId` must name the CAM identity provider.")
    check_web_identity_token(params["WebIdentityToken"], backend.clock())
    return _answer(backend.assume_role_unsigned(_request(params)))


def assume_role_with_saml(backend: CvmBackend, caller: Caller | None, params: Params) -> Params:
    check_saml(params["SAMLAssertion"], params["PrincipalArn"])
    return _answer(backend.assume_role_unsigned(_request(params)))


def get_caller_identity(backend: CvmBackend, caller: Caller | None, params: Params) -> Params:
    who = _signed(caller)
    return {"Arn": who.arn, "AccountId": who.account, "UserId": who.user_id, "PrincipalId": who.principal_id, "Type": who.kind}


ACTIONS = {
    "AssumeRole": Action(
        assume_role,
        Obj({**ROLE, "Policy": STR, "ExternalId": STR}, required=ROLE_REQUIRED,
            ignored=("Tags", "SourceIdentity", "SerialNumber", "TokenCode")),
        mutating=False,  # temporary credentials are not saved with the state
    ),
    "AssumeRoleWithWebIdentity": Action(
        assume_role_with_web_identity,
        Obj({**ROLE, "ProviderId": STR, "WebIdentityToken": STR}, required=("ProviderId", "WebIdentityToken", *ROLE_REQUIRED)),
        mutating=False,
    ),
    "AssumeRoleWithSAML": Action(
        assume_role_with_saml,
        Obj({**ROLE, "SAMLAssertion": STR, "PrincipalArn": STR}, required=("SAMLAssertion", "PrincipalArn", *ROLE_REQUIRED)),
        mutating=False,
    ),
    "GetCallerIdentity": Action(get_caller_identity, Obj({}), mutating=False),
}


def loggable(params: Any) -> Any:
    """The parameters as the request log may keep them: tokens and assertions masked."""
    if not isinstance(params, dict):
        return params
    return {key: "***" if key in SECRET_PARAMS else value for key, value in params.items()}
