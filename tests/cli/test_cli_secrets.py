"""Credentials through the real CLI: where a secret key set with `pulumi config set --secret` ends up in the state,
that credentials from the environment never reach it, and which key `refresh` and `destroy` really sign with after
the key in stack config changes.

What the engine does (seen here with v3.274): the default provider `pulumi:providers:pulumi-python::default` is a
resource whose inputs (and outputs, a copy of them) are the whole stack config, the secret key as a secret value.
`pulumi refresh`, `pulumi destroy` and the refresh step of `pulumi up --refresh` / `pulumi preview --refresh` configure
the provider from that stored copy, not from the stack file; every `pulumi up`, even one that changes no resource, and
`pulumi refresh --run-program` store the stack file's current config there.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import yaml

from tests.cli.cli_checks import (
    DEFAULT_PROVIDER_TYPE,
    SECRET_SIG,
    assert_no_traceback,
    files_containing,
    pretty,
    summary,
    where,
)
from tests.cli.conftest import CliProject
from tests.engine.cvm_stack import images

WRONG_KEY = "rotated-key-the-emulator-refuses"


def set_secret_key(project: CliProject, key: str) -> None:
    project.pulumi("config", "set", "--secret", "tencentcloud:secretKey", key)


def backend_dir(project: CliProject) -> Path:
    return project.dir.parent / "backend"


def default_provider(resources: list[dict[str, Any]]) -> dict[str, Any]:
    (provider,) = [res for res in resources if res["type"] == DEFAULT_PROVIDER_TYPE]
    return provider


def stored_key(project: CliProject) -> Any:
    """The secret key the state's default provider holds (decrypted)."""
    value = default_provider(project.resources("--show-secrets"))["inputs"].get("tencentcloud:secretKey")
    return json.loads(value["plaintext"]) if isinstance(value, dict) else value


def calls(emulator: Any) -> list[tuple[str, str | None]]:
    """(action, error code) of each API call since the log was last cleared; clears it."""
    logged = [(entry["action"], entry["error"]) for entry in emulator.control.requests()]
    emulator.control.clear_requests()
    return logged


def pickled_providers(resources: list[dict[str, Any]]) -> list[bytes]:
    """The dill bytes of every `__provider` in a `--show-secrets` export."""
    found = []
    for res in resources:
        for props in (res.get("inputs") or {}, res.get("outputs") or {}):
            value = props.get("__provider")
            if value is not None:
                found.append(base64.b64decode(json.loads(value["plaintext"])))
    return found


def test_a_secret_key_from_stack_config_is_in_the_state_only_as_the_default_providers_secret_config(
    project: CliProject, emulator: Any
) -> None:
    key = emulator.secret_key
    set_secret_key(project, key)
    assert key not in project.stack_file.read_text()
    assert yaml.safe_load(project.stack_file.read_text())["config"]["tencentcloud:secretKey"].keys() == {"secure"}

    up = project.up()

    assert summary(up) == {"created": 5}
    assert key not in up.output
    shown = project.resources("--show-secrets")
    provider = default_provider(shown)
    # The only places the key is in clear, with --show-secrets: the default provider's input (the stack config the
    # engine configures the provider with) and its outputs, which the engine records as a copy of the inputs.
    assert sorted(
        (res["urn"].rsplit("::", 1)[1], *path) for res in shown for path in where(res, key)
    ) == [
        ("default", "inputs", "tencentcloud:secretKey", "plaintext"),
        ("default", "outputs", "tencentcloud:secretKey", "plaintext"),
    ], pretty(shown)
    assert provider["inputs"]["tencentcloud:secretKey"][SECRET_SIG]  # marked secret, so stored encrypted
    assert provider["inputs"]["tencentcloud:secretKey"] == provider["outputs"]["tencentcloud:secretKey"]
    pickles = pickled_providers(shown)
    assert len(pickles) == 4 and all(key.encode() not in pickle for pickle in pickles)  # the pickled provider: a path

    plain = project.pulumi("stack", "export").stdout
    assert key not in plain
    assert "ciphertext" in json.dumps(default_provider(json.loads(plain)["deployment"]["resources"])["inputs"])
    assert files_containing(backend_dir(project), [key]) == []  # nor in the backend's history or backups


def test_credentials_from_the_environment_never_reach_the_state(project: CliProject, emulator: Any) -> None:
    document = yaml.safe_load(project.stack_file.read_text())
    for name in ("tencentcloud:secretId", "tencentcloud:secretKey"):
        del document["config"][name]
    project.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    project.env.update(TENCENTCLOUD_SECRET_ID=emulator.secret_id, TENCENTCLOUD_SECRET_KEY=emulator.secret_key)

    up = project.up()
    refresh = project.refresh()  # reads with the environment's credentials too

    assert summary(up) == {"created": 5} and summary(refresh) == {"unchanged": 5}
    assert sorted(image["ImageName"] for image in images(emulator.control).values()) == ["test-api", "test-web"]
    shown = project.resources("--show-secrets")
    credentials = [emulator.secret_id, emulator.secret_key]
    assert [path for res in shown for needle in credentials for path in where(res, needle)] == [], pretty(shown)
    assert not [name for name in default_provider(shown)["inputs"] if name.startswith("tencentcloud:secret")]
    assert all(needle.encode() not in pickle for pickle in pickled_providers(shown) for needle in credentials)
    assert files_containing(backend_dir(project), credentials) == []
    assert not any(needle in run.output for run in (up, refresh) for needle in credentials)


def test_refresh_and_destroy_sign_with_the_key_stored_by_the_last_up_not_the_key_in_stack_config(
    project: CliProject, emulator: Any
) -> None:
    set_secret_key(project, emulator.secret_key)
    project.up()
    emulator.control.clear_requests()

    # The stack file gets a key the emulator refuses; refresh still signs with the stored, valid one.
    set_secret_key(project, WRONG_KEY)
    project.refresh()
    refreshed = calls(emulator)
    assert refreshed and set(refreshed) == {("DescribeImages", None)}, refreshed
    assert stored_key(project) == emulator.secret_key

    # An up that changes no resource (and calls no API) stores the stack file's key anyway.
    assert summary(project.up()) == {"unchanged": 5}
    assert calls(emulator) == []
    assert stored_key(project) == WRONG_KEY

    # The stack file gets the valid key back (a rotation whose old key was revoked): refresh, destroy and the refresh
    # of `up --refresh` (what the deploy workflow runs) still sign with the stored, refused one, and say what to do.
    set_secret_key(project, emulator.secret_key)
    refresh = project.refresh(check=False)
    destroy = project.destroy(check=False)
    up_refresh = project.up("--refresh", check=False)

    # Every call was refused (one per image, unless the engine skipped the second after the first failed): a delete
    # first reads the image (whose claim it checks), so the destroy is refused there.
    refused = calls(emulator)
    assert {call for call in refused} == {("DescribeImages", "AuthFailure.SignatureFailure")} and len(refused) <= 6, refused
    for run, action in ((refresh, "DescribeImages"), (destroy, "DeleteImages"), (up_refresh, "DescribeImages")):
        assert run.returncode != 0, run
        assert f"{action} for image 'test-" in run.stdout and "failed with AuthFailure.SignatureFailure" in run.stdout
        assert "run `pulumi refresh --run-program` once to save them" in run.stdout, run  # the stack file is right
        assert WRONG_KEY not in run.output
        assert_no_traceback(run)
    assert len(images(emulator.control)) == 2 and stored_key(project) == WRONG_KEY

    # The way out the message names: a refresh that runs the program configures the provider from the stack file
    # and saves it; then destroy works.
    project.refresh("--run-program")
    assert stored_key(project) == emulator.secret_key
    project.destroy()
    assert images(emulator.control) == {} and project.images() == {}
