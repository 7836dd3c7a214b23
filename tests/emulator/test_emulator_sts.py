"""STS (2018-08-13) on the emulator's port, driven through the official SDK: its StsClient, and its own credential
classes (STSAssumeRoleCredential, OIDCRoleArnCredential, CVMRoleCredential) pointed at the emulator."""

import base64
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import pytest
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.credential import (
    Credential,
    CVMRoleCredential,
    OIDCRoleArnCredential,
    STSAssumeRoleCredential,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.sts.v20180813.sts_client import StsClient
from tencentcloud.tag.v20180813.tag_client import TagClient

from emulator import EmulatorConfig
from emulator.__main__ import config_from, parse_args
from emulator.config import ACCOUNT_UIN, SECOND_ACCOUNT_UIN
from tests.emulator.sdk import web_identity_token

ErrorCode = Callable[[Callable[[], Any]], str]
ROLE = f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/deployer"
SECOND_ROLE = f"qcs::cam::uin/{SECOND_ACCOUNT_UIN}:roleName/ci"
SECOND = EmulatorConfig()  # the second account's fixed key


def profile_of(emulator: Any) -> ClientProfile:
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))


def cvm_with(emulator: Any, credential: Any) -> CvmClient:
    return CvmClient(credential, emulator.region, profile_of(emulator))


def sts_with(emulator: Any, credential: Any) -> CommonClient:
    return CommonClient("sts", "2018-08-13", credential, emulator.region, profile_of(emulator))


def assumed(sts_client: StsClient, role: str = ROLE, **params: Any) -> dict[str, Any]:
    return sts_client.call_json("AssumeRole", {"RoleArn": role, "RoleSessionName": "test", **params})["Response"]


def temporary(answer: dict[str, Any], token: Any = "same") -> Credential:
    keys = answer["Credentials"]
    return Credential(keys["TmpSecretId"], keys["TmpSecretKey"], keys["Token"] if token == "same" else token)


def identity(emulator: Any, credential: Any) -> dict[str, Any]:
    return sts_with(emulator, credential).call_json("GetCallerIdentity", {})["Response"]


def test_the_sdks_assume_role_credential_signs_every_service_with_the_temporary_key_and_token(emulator: Any) -> None:
    credential = STSAssumeRoleCredential(emulator.secret_id, emulator.secret_key, ROLE, "deploy", 3600, endpoint=emulator.url)
    cvm_with(emulator, credential).call_json("DescribeImages", {})
    TagClient(credential, "", profile_of(emulator)).call_json("DescribeResourceTagsByResourceIds", {
        "ServiceType": "cvm", "ResourcePrefix": "image", "ResourceIds": ["img-00000000"], "ResourceRegion": emulator.region})

    log = [(entry["service"], entry["action"], entry["secret_id"], entry["token"], entry["error"])
           for entry in emulator.control.requests()]
    temporary_id = credential.get_credential_info()[0]
    assert temporary_id.startswith("AKIDTMP")
    assert log == [
        ("sts", "AssumeRole", emulator.secret_id, False, None),
        ("cvm", "DescribeImages", temporary_id, True, None),
        ("tag", "DescribeResourceTagsByResourceIds", temporary_id, True, None),
    ]


def test_a_temporary_key_needs_its_own_live_token(emulator: Any, sts_client: StsClient, error_code: ErrorCode) -> None:
    answer, other = assumed(sts_client), assumed(sts_client)
    describe = lambda credential: cvm_with(emulator, credential).call_json("DescribeImages", {})  # noqa: E731

    assert describe(temporary(answer))["Response"]["TotalCount"] == 2  # the public images
    assert error_code(lambda: describe(temporary(answer, token=None))) == "AuthFailure.TokenFailure"
    assert error_code(lambda: describe(temporary(answer, token=other["Credentials"]["Token"]))) == "AuthFailure.TokenFailure"
    wrong_key = Credential(answer["Credentials"]["TmpSecretId"], "not-the-key", answer["Credentials"]["Token"])
    assert error_code(lambda: describe(wrong_key)) == "AuthFailure.SignatureFailure"
    emulator.control.reset()  # forgets every temporary key
    assert error_code(lambda: describe(temporary(answer))) == "AuthFailure.SecretIdNotFound"


def test_temporary_credentials_expire_after_sts_credential_seconds(
    emulator: Any, sts_client: StsClient, error_code: ErrorCode
) -> None:
    assert emulator.control.config()["sts_credential_seconds"] == 43200
    answer = assumed(sts_client, DurationSeconds=1800)
    assert answer["ExpiredTime"] - time.time() == pytest.approx(1800, abs=2)  # shorter than the cap: as asked
    assert emulator.control.set_config(sts_credential_seconds=1)["sts_credential_seconds"] == 1
    short = assumed(sts_client, DurationSeconds=1800)
    assert short["ExpiredTime"] - time.time() <= 1
    cvm_with(emulator, temporary(short)).call_json("DescribeImages", {})
    time.sleep(1.1)
    assert error_code(lambda: cvm_with(emulator, temporary(short)).call_json("DescribeImages", {})) == "AuthFailure.TokenFailure"
    cvm_with(emulator, temporary(answer)).call_json("DescribeImages", {})  # issued before: keeps its own lifetime
    assert config_from(parse_args(["--sts-credential-seconds", "90"])).sts_credential_seconds == 90


def test_get_caller_identity_names_the_account_of_each_key_and_role(emulator: Any, sts_client: StsClient) -> None:
    own = identity(emulator, Credential(emulator.secret_id, emulator.secret_key))
    assert own.pop("RequestId") and own == {
        "Arn": f"qcs::cam::uin/{ACCOUNT_UIN}:uin/{ACCOUNT_UIN}", "AccountId": ACCOUNT_UIN, "UserId": ACCOUNT_UIN,
        "PrincipalId": ACCOUNT_UIN, "Type": "CAMUser",
    }
    second = Credential(SECOND.second_secret_id, SECOND.second_secret_key)
    assert identity(emulator, second)["AccountId"] == SECOND_ACCOUNT_UIN
    cvm_with(emulator, second).call_json("DescribeImages", {})  # the second account's key signs any call
    role = identity(emulator, temporary(assumed(sts_client, SECOND_ROLE, RoleSessionName="ci-run")))
    assert (role["AccountId"], role["Type"], role["PrincipalId"]) == (SECOND_ACCOUNT_UIN, "CAMRole", ACCOUNT_UIN)
    assert role["Arn"].startswith(f"qcs::sts:{SECOND_ACCOUNT_UIN}:assumed-role/") and role["UserId"].endswith(":ci-run")


def test_a_web_identity_is_exchanged_unsigned_as_the_sdk_sends_it(emulator: Any, error_code: ErrorCode) -> None:
    token = web_identity_token()
    credential = OIDCRoleArnCredential(emulator.region, "github", token, SECOND_ROLE, "gh", 3600, endpoint=emulator.url)

    assert identity(emulator, credential)["AccountId"] == SECOND_ACCOUNT_UIN
    exchange, _ = emulator.control.requests()
    assert (exchange["service"], exchange["secret_id"], exchange["token"]) == ("sts", None, False)
    assert exchange["params"]["WebIdentityToken"] == "***" and token not in json.dumps(emulator.control.requests())
    for bad in (web_identity_token(expires_in=-5), "not-a-jwt"):
        expired = OIDCRoleArnCredential(emulator.region, "github", bad, ROLE, "gh", endpoint=emulator.url)
        assert error_code(expired.get_credential_info) == "InvalidParameter.WebIdentityTokenError"


def test_only_the_web_identity_and_saml_exchanges_may_skip_the_signature(emulator: Any, error_code: ErrorCode) -> None:
    unsigned = CommonClient("cvm", "2017-03-12", None, emulator.region, profile_of(emulator))
    assert error_code(lambda: unsigned.call_json("DescribeImages", {}, options={"SkipSign": True})) == \
        "AuthFailure.InvalidAuthorization"
    sts = sts_with(emulator, None)
    for action in ("GetCallerIdentity", "AssumeRole"):
        assert error_code(lambda: sts.call_json(action, {"RoleArn": ROLE, "RoleSessionName": "x"}, options={"SkipSign": True})) \
            == "AuthFailure.InvalidAuthorization", action
    saml = {"SAMLAssertion": base64.b64encode(b"<saml/>").decode(), "PrincipalArn": f"qcs::cam::uin/{ACCOUNT_UIN}:saml-provider/idp",
            "RoleArn": ROLE, "RoleSessionName": "saml"}
    answer = sts.call_json("AssumeRoleWithSAML", saml, options={"SkipSign": True})["Response"]
    assert identity(emulator, temporary(answer))["AccountId"] == ACCOUNT_UIN
    assert emulator.control.requests()[-2]["params"]["SAMLAssertion"] == "***"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"RoleArn": "qcs::cam::uin/300000000001:roleName/deployer"}, "ResourceNotFound.RoleNotFound"),
        ({"RoleArn": "arn:aws:iam::1:role/x"}, "InvalidParameter.ParamError"),
        ({"RoleSessionName": "bad name"}, "InvalidParameter.ParamError"),
        ({"DurationSeconds": 43201}, "InvalidParameter.OverTimeError"),
        ({"ExternalId": "x"}, "InvalidParameter.ParamError"),
        ({"Policy": "not json"}, "InvalidParameter.StrategyFormatError"),
        ({"Policy": '{"statement": [{"principal": {"qcs": ["*"]}}]}'}, "InvalidParameter.StrategyInvalid"),
        ({"RoleSessionName": None}, "MissingParameter"),
    ],
)
def test_assume_role_errors_are_the_sdks(sts_client: StsClient, error_code: ErrorCode, params: dict[str, Any], code: str) -> None:
    request = {key: value for key, value in {"RoleArn": ROLE, "RoleSessionName": "test", **params}.items() if value is not None}
    assert error_code(lambda: sts_client.call_json("AssumeRole", request)) == code


def test_assume_role_takes_a_url_encoded_policy_and_an_external_id(sts_client: StsClient) -> None:
    policy = '{"version": "2.0", "statement": [{"effect": "allow", "action": ["cvm:Describe*"], "resource": ["*"]}]}'
    answer = assumed(sts_client, Policy=quote_plus(policy), ExternalId="team-infra", SourceIdentity="ci")
    assert answer["Credentials"]["TmpSecretId"].startswith("AKIDTMP")


def test_a_permission_policy_may_deny_sts_actions(emulator: Any, sts_client: StsClient, error_code: ErrorCode) -> None:
    emulator.control.deny("sts:AssumeRole")
    assert error_code(lambda: assumed(sts_client)) == "AuthFailure.UnauthorizedOperation"


def test_the_cvm_role_comes_from_the_metadata_server_stand_in(emulator: Any) -> None:
    credential = CVMRoleCredential()
    credential._role_endpoint = f"{emulator.url}/latest/meta-data/cam/security-credentials/"

    secret_id, _, token = credential.get_credential_info()
    assert secret_id.startswith("AKIDTMP") and token and credential.role == "emulator-cvm-role"
    assert identity(emulator, credential)["Arn"].startswith(f"qcs::sts:{ACCOUNT_UIN}:assumed-role/")
    unbound = CVMRoleCredential("another-role")
    unbound._role_endpoint = credential._role_endpoint
    assert unbound.get_credential_info() == (None, None, None)  # the SDK's answer to a 404: it swallows every error
