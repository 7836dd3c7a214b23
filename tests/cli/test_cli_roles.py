"""Roles and the account guard through the real CLI: object and list config set with `pulumi config set --path` reaches
the provider, every call is signed with the role's temporary credentials, and the state holds no static key (nor any
temporary key or token) when none was configured.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from emulator.config import ACCOUNT_UIN
from tests.cli.cli_checks import DEFAULT_PROVIDER_TYPE, assert_no_traceback, files_containing, pretty, summary, where
from tests.cli.conftest import CliProject
from tests.components.credential_helpers import ROLE, TEMPORARY
from tests.emulator.sdk import web_identity_token
from tests.engine.cvm_stack import images

# What the emulator issues: no temporary key id, key or token may reach the state.
ISSUED = (TEMPORARY, "emulator-sts-key-", "emulator-sts-token-")


def without_static_keys(project: CliProject, **env: str) -> None:
    """The stack file keeps no key; the environment gives these variables."""
    document = yaml.safe_load(project.stack_file.read_text())
    for name in ("tencentcloud:secretId", "tencentcloud:secretKey"):
        del document["config"][name]
    project.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    project.env.update(env)


def config_path(project: CliProject, path: str, value: str, *flags: str) -> None:
    project.pulumi("config", "set", *flags, "--path", path, value)


def logged(emulator: Any) -> list[tuple[str, str, str | None, bool]]:
    return [(entry["service"], entry["action"], entry["secret_id"], entry["token"]) for entry in emulator.control.requests()]


def leaks(project: CliProject, needles: list[str]) -> list[Any]:
    """Where the needles are in the state (secrets shown) and in the backend's files."""
    shown = project.resources("--show-secrets")
    return [path for res in shown for needle in needles for path in where(res, needle)] + files_containing(
        project.dir.parent / "backend", needles)


def default_provider_inputs(project: CliProject) -> dict[str, Any]:
    [provider] = [res for res in project.resources("--show-secrets") if res["type"] == DEFAULT_PROVIDER_TYPE]
    return provider["inputs"]


def test_an_assumed_role_signs_everything_and_the_state_holds_no_static_key(project: CliProject, emulator: Any) -> None:
    without_static_keys(project, TENCENTCLOUD_SECRET_ID=emulator.secret_id, TENCENTCLOUD_SECRET_KEY=emulator.secret_key)
    config_path(project, "tencentcloud:assumeRole.roleArn", ROLE)
    config_path(project, "tencentcloud:assumeRole.sessionName", "cli-test")
    config_path(project, "tencentcloud:assumeRole.sessionDuration", "3600")  # stored as a number
    config_path(project, "tencentcloud:allowedAccountIds[0]", ACCOUNT_UIN)  # a list of numbers

    up = project.up()
    refresh = project.refresh()

    assert summary(up) == {"created": 5} and summary(refresh) == {"unchanged": 5}
    assert sorted(image["ImageName"] for image in images(emulator.control).values()) == ["test-api", "test-web"]
    calls = logged(emulator)
    assumes = [call for call in calls if call[1] == "AssumeRole"]
    assert len(assumes) == 2 and {call[2] for call in assumes} == {emulator.secret_id}  # one per CLI command
    others = [call for call in calls if call[1] != "AssumeRole"]
    assert {"cvm", "sts"} <= {call[0] for call in others}  # sts: GetCallerIdentity for the guard
    assert all(call[2].startswith(TEMPORARY) and call[3] for call in others), calls

    assert leaks(project, [emulator.secret_id, emulator.secret_key, *ISSUED]) == [], pretty(project.resources("--show-secrets"))
    inputs = default_provider_inputs(project)
    assert json.loads(inputs["tencentcloud:assumeRole"]) == {"roleArn": ROLE, "sessionName": "cli-test", "sessionDuration": 3600}
    assert json.loads(inputs["tencentcloud:allowedAccountIds"]) == [int(ACCOUNT_UIN)]


def test_a_web_identity_from_the_environment_leaves_nothing_in_the_state(project: CliProject, emulator: Any) -> None:
    token = web_identity_token()
    without_static_keys(project, TENCENTCLOUD_ASSUME_ROLE_ARN=ROLE, TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME="github-1",
                        TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN=token, TENCENTCLOUD_ASSUME_ROLE_PROVIDER_ID="github")

    up = project.up()

    assert summary(up) == {"created": 5}
    calls = logged(emulator)
    assert calls[0] == ("sts", "AssumeRoleWithWebIdentity", None, False)
    assert all(call[2].startswith(TEMPORARY) and call[3] for call in calls[1:])
    assert [name for name in default_provider_inputs(project) if name.startswith("tencentcloud:")] == ["tencentcloud:region"]
    assert leaks(project, [token, ROLE, emulator.secret_id, *ISSUED]) == []
    assert token not in up.output


def test_a_web_identity_token_in_stack_config_is_stored_only_as_a_secret(project: CliProject, emulator: Any) -> None:
    token = web_identity_token()
    without_static_keys(project)
    config_path(project, "tencentcloud:assumeRoleWithWebIdentity.roleArn", ROLE)
    config_path(project, "tencentcloud:assumeRoleWithWebIdentity.sessionName", "cli-test")
    config_path(project, "tencentcloud:assumeRoleWithWebIdentity.webIdentityToken", token, "--secret")

    project.up()

    assert token not in project.stack_file.read_text() and token not in project.pulumi("stack", "export").stdout
    assert leaks(project, [emulator.secret_id, *ISSUED]) == []
    stored = default_provider_inputs(project)["tencentcloud:assumeRoleWithWebIdentity"]
    assert json.loads(json.loads(stored["plaintext"]))["webIdentityToken"] == token  # the whole object is a secret


def test_the_account_guard_refuses_the_update_before_any_call(project: CliProject, emulator: Any) -> None:
    config_path(project, "tencentcloud:forbiddenAccountIds[0]", ACCOUNT_UIN)

    up = project.up(check=False)

    assert up.returncode != 0 and images(emulator.control) == {}
    assert f"belong to Tencent Cloud account {ACCOUNT_UIN}, which `tencentcloud:forbiddenAccountIds` lists" in up.stdout
    assert_no_traceback(up)
    assert {call[1] for call in logged(emulator)} == {"GetCallerIdentity"}
