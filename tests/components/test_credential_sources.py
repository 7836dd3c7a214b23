"""Which sources sign, in which order, from which keys, variables and files: the bridged provider's rules, as data
(no API call)."""

import json

import pytest

from components.cloud.errors import CvmImageError
from components.cloud.settings import resolve_region
from components.cloud.sources import AssumeRole, CamRole, Saml, StaticKeys, WebIdentity, resolve_sources

ROLE = "qcs::cam::uin/100000000001:roleName/deployer"
KEYS = {"tencentcloud:secretId": "AKIDconfig", "tencentcloud:secretKey": "config-key"}
ENV_KEYS = {"TENCENTCLOUD_SECRET_ID": "AKIDenv", "TENCENTCLOUD_SECRET_KEY": "env-key"}
TOKEN = "eyJ.web-identity-token.sig"


def kinds(config, env):
    return [type(step.source) for step in resolve_sources(config, env).steps]


def role(**fields):
    return json.dumps({"roleArn": ROLE, "sessionName": "deploy", **fields})


def test_each_static_key_comes_from_config_else_the_environment():
    [step] = resolve_sources({"tencentcloud:secretId": "AKIDconfig"}, {**ENV_KEYS, "TENCENTCLOUD_SECURITY_TOKEN": "tok"}).steps
    keys = step.source
    assert isinstance(keys, StaticKeys)
    assert (keys.secret_id.get_secret_value(), keys.secret_key.get_secret_value(), keys.token.get_secret_value()) == (
        "AKIDconfig", "env-key", "tok")


def test_a_source_that_needs_no_credential_makes_the_ones_before_it_unused():
    assert kinds({**KEYS, "tencentcloud:camRoleName": "r"}, {}) == [CamRole]
    web = json.dumps({"roleArn": ROLE, "sessionName": "gh", "webIdentityToken": TOKEN})
    assert kinds({**KEYS, "tencentcloud:assumeRoleWithWebIdentity": web}, {}) == [WebIdentity]


def test_roles_are_assumed_in_the_bridged_providers_order_each_on_top_of_the_last(tmp_path):
    (tmp_path / "default.credential").write_text(json.dumps({"secretId": "AKIDp", "secretKey": "k", "role-arn": ROLE,
                                                             "role-session-name": "profile"}))
    env = {"TENCENTCLOUD_SHARED_CREDENTIALS_DIR": str(tmp_path), "TENCENTCLOUD_ASSUME_ROLE_ARN": ROLE,
           "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME": "env"}
    steps = resolve_sources({"tencentcloud:assumeRole": role(sessionName="config")}, env).steps

    assert [type(step.source) for step in steps] == [StaticKeys, AssumeRole, AssumeRole, AssumeRole]
    assert [step.source.session_name for step in steps[1:]] == ["profile", "env", "config"]
    assert "the tccli profile `default`" in steps[0].origin


@pytest.mark.parametrize(
    ("variables", "kind"),
    [
        ({}, AssumeRole),
        ({"WEB_IDENTITY_TOKEN": TOKEN}, WebIdentity),
        ({"SAML_ASSERTION": "PHNhbWwvPg==", "PRINCIPAL_ARN": "qcs::cam::uin/1:saml-provider/idp"}, Saml),
    ],
)
def test_the_environments_role_is_a_web_identity_or_saml_when_their_variables_are_set(variables, kind):
    env = {**ENV_KEYS, "TENCENTCLOUD_ASSUME_ROLE_ARN": ROLE, "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME": "env",
           "TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION": "3600",
           **{f"TENCENTCLOUD_ASSUME_ROLE_{name}": value for name, value in variables.items()}}
    steps = resolve_sources({}, env).steps
    assert type(steps[-1].source) is kind and steps[-1].source.session_duration == 3600
    if kind is WebIdentity:
        assert steps[-1].source.provider_id == "OIDC"  # the bridged provider's default


def test_the_environment_fills_the_fields_an_object_leaves_out():
    env = {"TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME": "from-env", "TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN": TOKEN}
    [step] = resolve_sources({"tencentcloud:assumeRoleWithWebIdentity": json.dumps({"roleArn": ROLE})}, env).steps
    assert step.source.session_name == "from-env" and step.source.web_identity_token.get_secret_value() == TOKEN


def test_object_values_take_numbers_as_text_too():
    [_, assumed] = resolve_sources({**KEYS, "tencentcloud:assumeRole": role(sessionDuration="1800")}, {}).steps
    assert assumed.source.session_duration == 1800
    sources = resolve_sources({**KEYS, "tencentcloud:allowedAccountIds": json.dumps([100000000001, "200000000001"])}, {})
    assert sources.allowed_account_ids == ("100000000001", "200000000001")


def test_a_profile_is_read_only_without_static_keys_and_gives_its_region(tmp_path):
    folder = tmp_path / ".tccli"
    folder.mkdir()
    (folder / "prod.credential").write_text(json.dumps({"secretId": "AKIDprod", "secretKey": "k", "token": "t"}))
    (folder / "prod.configure").write_text(json.dumps({"_sys_param": {"region": "ap-beijing"}}))
    env = {"HOME": str(tmp_path), "TENCENTCLOUD_PROFILE": "prod"}

    [step] = resolve_sources({}, env).steps
    assert step.source.secret_id.get_secret_value() == "AKIDprod" and step.source.token.get_secret_value() == "t"
    assert resolve_region({}, env) == "ap-beijing"
    assert resolve_sources(KEYS, env).steps[0].source.secret_id.get_secret_value() == "AKIDconfig"
    assert resolve_region(KEYS, env) == "ap-guangzhou"  # with static keys the profile is not read at all
    assert resolve_region({"tencentcloud:region": "ap-seoul"}, env) == "ap-seoul"


@pytest.mark.parametrize(
    ("config", "env", "expected"),
    [
        ({}, {}, "No Tencent Cloud credentials: set `pulumi config set tencentcloud:secretId"),
        ({"tencentcloud:assumeRole": role()}, {}, f"No Tencent Cloud credentials to assume role {ROLE} (`tencentcloud:assumeRole`) with: set"),
        ({"tencentcloud:secretKey": "k"}, {}, "Incomplete Tencent Cloud keys"),
        ({**KEYS, "tencentcloud:assumeRole": "{not json"}, {}, "`tencentcloud:assumeRole` is not valid JSON"),
        ({**KEYS, "tencentcloud:assumeRole": '"qcs::cam::uin/1:roleName/x"'}, {}, "`tencentcloud:assumeRole` must be an object"),
        ({**KEYS, "tencentcloud:assumeRole": role(rolearn="x")}, {}, "`tencentcloud:assumeRole` is invalid: rolearn: Extra inputs"),
        ({**KEYS, "tencentcloud:assumeRole": role(sessionDuration=43201)}, {}, "sessionDuration: Input should be less than or equal to 43200"),
        ({**KEYS, "tencentcloud:assumeRole": json.dumps({"roleArn": ROLE})}, {}, "sessionName: Field required"),
        ({**KEYS, "tencentcloud:allowedAccountIds": '["1"]', "tencentcloud:forbiddenAccountIds": '["2"]'}, {}, "not both"),
        ({**KEYS, "tencentcloud:allowedAccountIds": '["acct-1"]'}, {}, "must be a list of account ids"),
        (KEYS, {"TENCENTCLOUD_ASSUME_ROLE_ARN": ROLE, "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME": "s",
                "TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN": TOKEN, "TENCENTCLOUD_ASSUME_ROLE_SAML_ASSERTION": "a",
                "TENCENTCLOUD_ASSUME_ROLE_PRINCIPAL_ARN": "p"}, "not both"),
    ],
)
def test_what_is_wrong_is_named_by_its_key(tmp_path, config, env, expected):
    with pytest.raises(CvmImageError) as raised:
        resolve_sources(config, {"HOME": str(tmp_path), **env})
    assert expected in str(raised.value)


def test_an_unreadable_profile_is_named_and_a_missing_one_skipped(tmp_path):
    env = {"TENCENTCLOUD_SHARED_CREDENTIALS_DIR": str(tmp_path)}
    with pytest.raises(CvmImageError, match="No Tencent Cloud credentials"):
        resolve_sources({}, env)
    (tmp_path / "default.credential").write_text("secretId = AKID")
    with pytest.raises(CvmImageError, match=f"{tmp_path}/default.credential cannot be read as JSON"):
        resolve_sources({}, env)


def test_no_secret_in_any_description_or_validation_message():
    secrets = ("config-key", TOKEN, "tok-secret", "123456")
    web = json.dumps({"roleArn": ROLE, "sessionName": "gh", "webIdentityToken": TOKEN})
    config = {**KEYS, "tencentcloud:securityToken": "tok-secret", "tencentcloud:assumeRoleWithWebIdentity": web}
    texts = [resolve_sources(config, {}).describe(), repr(resolve_sources(config, {}))]
    with pytest.raises(CvmImageError) as raised:
        resolve_sources({**KEYS, "tencentcloud:assumeRole": role(tokenCode=["123456"], sessionDuration=TOKEN)}, {})
    texts.append(str(raised.value))
    assert not [(secret, text) for secret in secrets for text in texts if secret in text]
