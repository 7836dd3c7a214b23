"""Every credential source, through the provider against the emulator's STS: who signed each call (the request log)."""

import json
import time
from urllib.parse import unquote_plus

import pytest

from emulator.config import ACCOUNT_UIN
from tests.components.credential_helpers import (
    ROLE,
    SECOND_KEY,
    SECOND_ROLE,
    TEMPORARY,
    create,
    key_of,
    provider_with,
    signed,
)
from tests.components.emulator_helpers import today_without_lags
from tests.emulator.sdk import web_identity_token

POLICY = '{"version": "2.0", "statement": [{"effect": "allow", "action": ["cvm:*", "tag:*"], "resource": ["*"]}]}'


@pytest.fixture(autouse=True)
def quick(emulator):
    today_without_lags(emulator)


def test_assume_role_then_every_cvm_tag_and_as_call_signs_with_the_temporary_key_and_token(emulator, no_credentials, monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", emulator.secret_id)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", emulator.secret_key)
    role = {"roleArn": ROLE, "sessionName": "deploy", "sessionDuration": 3600, "externalId": "team-infra", "policy": POLICY}
    provider = provider_with(emulator, assumeRole=role)

    made = create(provider, tags={"team": "infra"})
    provider.update(made.id, made.outs, {**made.outs, "tags": {"team": "web"}})
    provider.delete(made.id, made.outs)

    assume, *calls = signed(emulator)
    assert assume == ("sts", "AssumeRole", emulator.secret_id, False, None)
    params = emulator.control.requests()[0]["params"]
    assert (params["ExternalId"], params["DurationSeconds"], json.loads(unquote_plus(params["Policy"]))) == (
        "team-infra", 3600, json.loads(POLICY))
    assert {call.service for call in calls} == {"cvm", "tag", "as"}  # Auto Scaling: what launches from it, before the delete
    assert {"CreateImage", "TagResources", "DescribeLaunchConfigurations", "DeleteImages"} <= {call.action for call in calls}
    temporary_ids = {call.secret_id for call in calls}
    assert len(temporary_ids) == 1 and temporary_ids.pop().startswith(TEMPORARY)
    assert all(call.token and call.error is None for call in calls), calls


@pytest.mark.timeout(60)
def test_credentials_are_renewed_before_they_expire_during_a_longer_build(emulator, no_credentials):
    """A build of 3.5 credential lifetimes: every call signed with live credentials (a 2-hour build under 1-hour
    credentials, scaled down)."""
    emulator.control.set_config(sts_credential_seconds=2, image_build_seconds=7)
    provider = provider_with(emulator, **key_of(emulator), assumeRole={"roleArn": ROLE, "sessionName": "long-build"})

    started = time.monotonic()
    made = create(provider)
    took = time.monotonic() - started

    assert made.outs["image_state"] == "NORMAL" and took > 7
    log = signed(emulator)
    assert [call for call in log if call.error] == []
    renewals = [call for call in log if call.action == "AssumeRole"]
    assert len(renewals) >= 4 and {call.secret_id for call in renewals} == {emulator.secret_id}
    used = {call.secret_id for call in log if call.service == "cvm"}
    assert len(used) >= 3 and all(secret_id.startswith(TEMPORARY) for secret_id in used)


@pytest.mark.parametrize("where", ["stack config", "environment"])
def test_a_web_identity_needs_no_static_key_anywhere(emulator, no_credentials, monkeypatch, where):
    token = web_identity_token()
    if where == "stack config":
        identity = {"roleArn": SECOND_ROLE, "sessionName": "github-1", "webIdentityToken": token, "providerId": "github"}
        provider = provider_with(emulator, assumeRoleWithWebIdentity=identity)
    else:  # as the CI workflows set it
        for name, value in (("ARN", SECOND_ROLE), ("SESSION_NAME", "github-1"), ("WEB_IDENTITY_TOKEN", token),
                            ("PROVIDER_ID", "github")):
            monkeypatch.setenv(f"TENCENTCLOUD_ASSUME_ROLE_{name}", value)
        provider = provider_with(emulator)

    create(provider)

    exchange, *calls = signed(emulator)
    assert exchange == ("sts", "AssumeRoleWithWebIdentity", None, False, None)
    assert calls and all(call.secret_id.startswith(TEMPORARY) and call.token for call in calls)
    assert token not in json.dumps(emulator.control.requests())


def test_a_saml_assertion_is_exchanged_unsigned(emulator, no_credentials):
    saml = {"roleArn": ROLE, "sessionName": "saml", "samlAssertion": "PHNhbWw+PC9zYW1sPg==",
            "principalArn": f"qcs::cam::uin/{ACCOUNT_UIN}:saml-provider/idp"}
    create(provider_with(emulator, assumeRoleWithSaml=saml))

    exchange, *calls = signed(emulator)
    assert exchange == ("sts", "AssumeRoleWithSAML", None, False, None)
    assert all(call.secret_id.startswith(TEMPORARY) for call in calls)


def test_the_default_tccli_profile_in_home_with_its_region(emulator, no_credentials):
    tccli = no_credentials / ".tccli"
    tccli.mkdir()
    (tccli / "default.credential").write_text(json.dumps({"secretId": SECOND_KEY[0], "secretKey": SECOND_KEY[1], "type": "default"}))
    (tccli / "default.configure").write_text(json.dumps({"_sys_param": {"region": "ap-shanghai", "output": "json"}}))
    provider = provider_with(emulator, region=None)

    checked = provider.check({}, {"instance_id": "ins-emu00001", "image_name": "x", "copy_to_regions": ["ap-shanghai"]})
    assert checked.failures  # the image's own region, the profile's, cannot be a copy's
    assert provider.read("img-00000000", {"image_name": "x"}).id == ""  # not found there

    assert set(signed(emulator)) == {("cvm", "DescribeImages", SECOND_KEY[0], False, None)}
    assert {entry["region"] for entry in emulator.control.requests()} == {"ap-shanghai"}


def test_a_named_profile_with_a_role_in_the_shared_credentials_dir(emulator, no_credentials, tmp_path):
    shared = tmp_path / "tccli-files"
    shared.mkdir()
    profile = {"secretId": emulator.secret_id, "secretKey": emulator.secret_key, "role-arn": ROLE, "role-session-name": "tccli"}
    (shared / "ci.credential").write_text(json.dumps(profile))

    create(provider_with(emulator, profile="ci", sharedCredentialsDir=str(shared)))

    assume, *calls = signed(emulator)
    assert assume == ("sts", "AssumeRole", emulator.secret_id, False, None)
    assert calls and all(call.secret_id.startswith(TEMPORARY) for call in calls)


def test_the_cvm_instance_role_from_the_metadata_server(emulator, no_credentials):
    create(provider_with(emulator, camRoleName="emulator-cvm-role"))

    calls = signed(emulator)
    assert calls and all(call.secret_id.startswith(TEMPORARY) and call.token for call in calls)


def test_stack_config_keys_win_over_the_environment(emulator, no_credentials, monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", emulator.secret_id)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", emulator.secret_key)

    create(provider_with(emulator, secretId=SECOND_KEY[0], secretKey=SECOND_KEY[1]))

    assert {call.secret_id for call in signed(emulator)} == {SECOND_KEY[0]}


def test_the_configured_role_is_assumed_on_top_of_the_environments_as_the_bridged_provider_does(
    emulator, no_credentials, monkeypatch
):
    """TENCENTCLOUD_ASSUME_ROLE_ARN is assumed first (with the static key), then `tencentcloud:assumeRole` with the
    first role's temporary credentials: the configured role signs."""
    for name, value in (("SECRET_ID", emulator.secret_id), ("SECRET_KEY", emulator.secret_key),
                        ("ASSUME_ROLE_ARN", SECOND_ROLE), ("ASSUME_ROLE_SESSION_NAME", "from-env")):
        monkeypatch.setenv(f"TENCENTCLOUD_{name}", value)
    provider = provider_with(emulator, assumeRole={"roleArn": ROLE, "sessionName": "from-config"},
                             allowedAccountIds=[ACCOUNT_UIN])

    create(provider)

    log = signed(emulator)
    first, second = [call for call in log if call.action == "AssumeRole"]
    requests = [entry for entry in emulator.control.requests() if entry["action"] == "AssumeRole"]
    assert [entry["params"]["RoleArn"] for entry in requests] == [SECOND_ROLE, ROLE]
    assert first.secret_id == emulator.secret_id and second.secret_id.startswith(TEMPORARY) and second.token
    final = {call.secret_id for call in log if call.service == "cvm"}
    assert len(final) == 1 and final != {second.secret_id}  # the configured role's own temporary key
    assert [call.action for call in log if call.error] == []  # its account, ACCOUNT_UIN, is the allowed one
