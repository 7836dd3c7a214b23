"""Each kind of credential failure has its own message: a bad key, an expired or invalid token, a role that cannot be
assumed (named), MFA, a CAM policy denial (the action named); and none holds a key, a token or a web identity token."""

import time

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813.sts_client import StsClient

from components.cloud.errors import CvmImageError, ImageRef, RoleFailure, translate
from emulator import EmulatorConfig
from tests.components.credential_helpers import ROLE, create, key_of, provider_with
from tests.components.emulator_helpers import detail_of, today_without_lags
from tests.components.test_secrets import texts_of
from tests.emulator.sdk import web_identity_token

REF = ImageRef(image_name="web-base", region="ap-guangzhou", instance_id="ins-emu00001")
UNKNOWN_ROLE = "qcs::cam::uin/300000000001:roleName/deployer"
EXPIRED_TOKEN = web_identity_token(expires_in=-60)
WRONG_KEY = "sk-wrong-Canary-7f2a"
# What no message may hold: the keys, the web identity token, and every temporary key and token the emulator issues.
SECRETS = (EmulatorConfig().secret_key, WRONG_KEY, EXPIRED_TOKEN, "emulator-sts-key-", "emulator-sts-token-")


@pytest.fixture(autouse=True)
def quick(emulator, no_credentials):
    today_without_lags(emulator)


def failure_of(provider, **props) -> str:
    """The create's error message; none of the SECRETS in it, its repr or the errors chained to it."""
    with pytest.raises(CvmImageError) as raised:
        create(provider, **props)
    assert not [(secret, text) for secret in SECRETS for text in texts_of(raised.value) if secret in text]
    return str(raised.value)


def temporary_keys(emulator) -> dict[str, str]:
    """Temporary credentials as a user would paste them into the stack config."""
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    sts = StsClient(Credential(emulator.secret_id, emulator.secret_key), emulator.region, profile)
    keys = sts.call_json("AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "pasted"})["Response"]["Credentials"]
    return {"secretId": keys["TmpSecretId"], "secretKey": keys["TmpSecretKey"], "securityToken": keys["Token"]}


def test_a_bad_key(emulator):
    message = failure_of(provider_with(emulator, secretId=emulator.secret_id, secretKey=WRONG_KEY))

    detail = detail_of(message, "AuthFailure.SignatureFailure")
    assert detail.startswith("Tencent Cloud rejected the credentials for ap-guangzhou. The request was signed with the "
                             "keys of the stack config (tencentcloud:secretId/secretKey).")


def test_an_expired_token(emulator):
    emulator.control.set_config(sts_credential_seconds=1)
    pasted = temporary_keys(emulator)
    time.sleep(1.1)

    detail = detail_of(failure_of(provider_with(emulator, **pasted)), "AuthFailure.TokenFailure")

    assert detail.startswith("the security token was refused: it has expired or is not valid.")
    assert "let the provider get and renew them itself (`tencentcloud:assumeRole`" in detail


def test_an_invalid_token_as_cvm_answers_it():
    error = TencentCloudSDKException("UnauthorizedOperation.InvalidToken", "请确认Token是否有效", "rid")
    error.api_action = "cvm:CreateImage"
    assert "the security token was refused" in str(translate(error, "CreateImage", REF))


@pytest.mark.parametrize(("code", "state"), [("UnauthorizedOperation.MFAExpired", "has expired"),
                                             ("UnauthorizedOperation.MFANotFound", "is missing")])
def test_mfa_protection(code, state):
    error = TencentCloudSDKException(code, "MFA", "rid")
    error.api_action = "cvm:DeleteImages"

    detail = detail_of(str(translate(error, "DeleteImages", REF)), code)

    assert detail.startswith(f"CAM protects cvm:DeleteImages with MFA for these credentials, and the MFA verification {state}.")
    assert "CAM policy denies" not in detail


@pytest.mark.parametrize(
    ("config", "code", "fix"),
    [
        ({"assumeRole": {"roleArn": UNKNOWN_ROLE, "sessionName": "deploy"}}, "ResourceNotFound.RoleNotFound",
         f"the credentials of role {UNKNOWN_ROLE} (`tencentcloud:assumeRole`) could not be had from STS AssumeRole: "
         "there is no such role. Check the role ARN"),
        ({"assumeRoleWithWebIdentity": {"roleArn": ROLE, "sessionName": "gh", "webIdentityToken": EXPIRED_TOKEN}},
         "InvalidParameter.WebIdentityTokenError",
         f"the credentials of role {ROLE} (`tencentcloud:assumeRoleWithWebIdentity`) could not be had from STS "
         "AssumeRoleWithWebIdentity: STS refused the web identity token: it has expired"),
        ({"camRoleName": "not-this-instances-role"}, "ClientError.MetadataError",
         "the credentials of the CVM role `not-this-instances-role` (tencentcloud:camRoleName / TENCENTCLOUD_CAM_ROLE_NAME) "
         "could not be had from the CVM metadata server: the metadata server gave no credentials for it"),
    ],
)
def test_a_role_that_cannot_be_had_is_named(emulator, config, code, fix):
    credentials = key_of(emulator) if "assumeRole" in config else {}
    detail = detail_of(failure_of(provider_with(emulator, **credentials, **config)), code)
    assert detail.startswith(fix), detail


@pytest.mark.parametrize(
    ("denied", "config", "action"),
    [
        ("CreateImage", {}, "cvm:CreateImage"),
        ("sts:AssumeRole", {"assumeRole": {"roleArn": ROLE, "sessionName": "deploy"}}, "sts:AssumeRole"),
        ("sts:GetCallerIdentity", {"allowedAccountIds": ["100000000001"]}, "sts:GetCallerIdentity"),
    ],
)
def test_a_cam_policy_denial_names_the_action(emulator, denied, config, action):
    emulator.control.deny(denied)
    code = "AuthFailure.UnauthorizedOperation"

    detail = detail_of(failure_of(provider_with(emulator, **key_of(emulator), **config)), code)

    name = action.split(":")[1]
    assert f"a CAM policy denies {name}: grant {action} to this key" in detail


@pytest.mark.parametrize("code", ["InternalServerError", "ResourceUnavailable", "RequestLimitExceeded"])
def test_a_role_exchange_that_failed_for_a_passing_reason_is_not_blamed_on_the_trust_policy(code):
    """STS down or throttled says so, as for any other call: the role and its trust policy are fine."""
    failed = RoleFailure(TencentCloudSDKException(code, "try later", "rid"), f"role {ROLE}", "STS AssumeRole")

    message = str(translate(failed, "CreateImage", REF))

    assert code in message and "trust policy" not in message
