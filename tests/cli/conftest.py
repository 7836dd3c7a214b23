"""The real Pulumi CLI (scripts/install-pulumi puts it in ~/.pulumi/bin) against this test session's emulator.

Each test gets a copy of the project with a stack `test` in a file backend of its own, pointed at the emulator, and
runs `pulumi` commands in it as a user would. Without the CLI the tests skip, except under CI=true, where they fail:
CI installs the CLI first, so a missing one there is a broken install, never a reason to skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PULUMI_BIN = Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi")) / "bin"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt")
PROJECT_DIRS = ("components", "policy")
IMAGE_TYPE = "pulumi-python:dynamic/cvm:Image"
STACK = "test"
PASSPHRASE = "cli-tests"
COMMAND_TIMEOUT = 300


def pulumi_executable() -> str | None:
    return shutil.which("pulumi", path=f"{PULUMI_BIN}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture(scope="session")
def pulumi_path() -> str:
    found = pulumi_executable()
    if found is None:
        reason = f"the Pulumi CLI is not installed: run scripts/install-pulumi (looked on PATH and in {PULUMI_BIN})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


@dataclass
class Run:
    """One `pulumi` command: its arguments, exit code, output and wall time."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return f"pulumi {' '.join(self.args)} -> {self.returncode} in {self.seconds:.1f}s\n{self.output}"


@dataclass
class CliProject:
    """A copy of the project, a stack in its own file backend, and `pulumi` commands run in it."""

    dir: Path
    env: dict[str, str]
    config: dict[str, Any] = field(default_factory=dict)

    def pulumi(self, *args: str, check: bool = True, timeout: float = COMMAND_TIMEOUT) -> Run:
        started = time.monotonic()
        done = subprocess.run(
            ["pulumi", *args], cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        run = Run(tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        if check and run.returncode != 0:
            raise AssertionError(f"command failed: {run}")
        return run

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """A `pulumi` command left running (for signals); its own process group, output to pipes."""
        return subprocess.Popen(
            ["pulumi", *args], cwd=self.dir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, start_new_session=True,
        )

    def up(self, *args: str, check: bool = True) -> Run:
        return self.pulumi("up", "--yes", "--non-interactive", "--skip-preview", *args, check=check)

    def preview(self, *args: str, check: bool = True) -> Run:
        return self.pulumi("preview", "--non-interactive", *args, check=check)

    def destroy(self, *args: str, check: bool = True) -> Run:
        return self.pulumi("destroy", "--yes", "--non-interactive", "--skip-preview", *args, check=check)

    def refresh(self, *args: str, check: bool = True) -> Run:
        return self.pulumi("refresh", "--yes", "--non-interactive", "--skip-preview", *args, check=check)

    @property
    def stack_file(self) -> Path:
        return self.dir / "stacks" / f"Pulumi.{STACK}.yaml"

    def set_images(self, images: list[dict[str, Any]]) -> None:
        """Declare the stack's images (`cvm-images:images`), keeping the rest of its config."""
        document = yaml.safe_load(self.stack_file.read_text()) or {}
        document.setdefault("config", {})["cvm-images:images"] = images
        self.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))

    def export(self, *args: str) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "export", *args).stdout)

    def resources(self, *args: str) -> list[dict[str, Any]]:
        return self.export(*args)["deployment"].get("resources") or []

    def images(self) -> dict[str, dict[str, Any]]:
        """The images in the stack's state, by resource name."""
        return {res["urn"].rsplit("::", 1)[1]: res for res in self.resources() if res["type"] == IMAGE_TYPE}


def stack_config(emulator: Any, images: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tencentcloud:region": emulator.region,
        "tencentcloud:secretId": emulator.secret_id,
        "tencentcloud:secretKey": emulator.secret_key,
        "cvmImage:endpoint": emulator.url,
        "cvm-images:images": images,
    }


def image(name: str, instance_id: str = "ins-emu00001", **settings: Any) -> dict[str, Any]:
    """One entry of `cvm-images:images` (stack config spelling), named `test-<name>` in the cloud by default."""
    return {"name": name, "imageName": f"test-{name}", "instanceId": instance_id, **settings}


def pulumi_env(env: Mapping[str, str], backend: Path, passphrase: str) -> dict[str, str]:
    """`env` for the CLI: our PATH first, state in a new file backend at `backend`, no update check or downloads."""
    backend.mkdir()
    return {
        **env,
        "PATH": f"{PULUMI_BIN}{os.pathsep}{env.get('PATH', '')}",
        "PULUMI_BACKEND_URL": backend.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SUPPRESS_COPILOT_LINK": "true",
    }


def make_project(base: Path, env: Mapping[str, str], config: dict[str, Any]) -> CliProject:
    project = base / "project"
    project.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, project / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    (project / "stacks").mkdir()
    (project / ".venv").symlink_to(ROOT / ".venv")  # Pulumi.yaml: `virtualenv: .venv`
    (project / "policy" / "venv").symlink_to(ROOT / ".venv")  # PulumiPolicy.yaml: `virtualenv: venv`
    full_env = pulumi_env(env, base / "backend", PASSPHRASE)
    for name in [name for name in full_env if name.startswith("TENCENTCLOUD_") and name != "TENCENTCLOUD_CVM_ENDPOINT"]:
        full_env.pop(name)  # credentials, roles, profiles and the region come from the test, never from the shell
    cli = CliProject(project, full_env, config)
    cli.stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    cli.pulumi("stack", "init", STACK)
    return cli


@pytest.fixture
def cli_env(pulumi_path: str) -> dict[str, str]:
    return dict(os.environ)


@pytest.fixture
def project(tmp_path: Path, emulator: Any, cli_env: dict[str, str]) -> Iterator[CliProject]:
    """The project with stack `test` declaring two images of the emulator's seeded instances (none made yet)."""
    images = [image("web", "ins-emu00001"), image("api", "ins-emu00002", forcePoweroff=True)]
    yield make_project(tmp_path, cli_env, stack_config(emulator, images))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Real-CLI tests run several `pulumi` commands of a few seconds each: a longer per-test timeout than the suite's."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.timeout(900))


# -- added for the real-CLI suite by concern (test_cli_lifecycle, _diff, _errors, _secrets, _policy, _parallel) --------

WEB_DESCRIPTION = "Web tier golden image"


def declared_images() -> list[dict[str, Any]]:
    """What the `deployed` fixture declares: `project`'s two images, the web one with a description."""
    return [image("web", "ins-emu00001", description=WEB_DESCRIPTION), image("api", "ins-emu00002", forcePoweroff=True)]


@pytest.fixture
def deployed(project: CliProject, emulator: Any) -> CliProject:
    """`project` after `pulumi up` of declared_images() (test-web with a description, test-api); request log cleared."""
    project.set_images(declared_images())
    project.up()
    assert sorted(image["ImageName"] for image in emulator.control.state()["images"]) == ["test-api", "test-web"]
    emulator.control.clear_requests()
    return project


def make_stopped_instances(cvm_client: Any, count: int, timeout: float = 30.0) -> list[str]:
    """New STOPPED instances in the emulator: each takes an image task at once, without a shutdown first."""
    launch = {"Placement": {"Zone": "ap-guangzhou-3"}, "InstanceCount": count, "InstanceName": "cli-builder"}
    ids = cvm_client.call_json("RunInstances", launch)["Response"]["InstanceIdSet"]
    for wanted, action in (("RUNNING", None), ("STOPPED", "StopInstances")):
        if action:
            cvm_client.call_json(action, {"InstanceIds": ids})
        deadline = time.monotonic() + timeout
        while True:
            found = cvm_client.call_json("DescribeInstances", {"InstanceIds": ids, "Limit": 100})["Response"]["InstanceSet"]
            if len(found) == len(ids) and all(instance["InstanceState"] == wanted for instance in found):
                break
            assert time.monotonic() < deadline, f"instances {ids} did not reach {wanted} within {timeout} s"
            time.sleep(0.05)
    return ids
