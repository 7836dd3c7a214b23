"""scripts/run, the README's main command: on a fresh checkout it ends in a real `pulumi up` of the `local` stack."""

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.control import EmulatorControl
from tests.cli.conftest import pulumi_executable
from tests.program.stack_run import ROOT

EMULATOR_URL = "http://127.0.0.1:9000"


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def git(checkout: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=checkout, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[Path]:
    """A git checkout of the project's files as they are now, sharing the repo's virtualenv (ignored by git)."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    for name in git(ROOT, "ls-files", "-z").split("\0"):
        if name and (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "checkout")
    yield copy
    pid_file = copy / ".emulator-state" / "emulator.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text()), signal.SIGTERM)


def run(checkout: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env or {})}
    env.pop("PULUMI_CONFIG_PASSPHRASE", None)
    return subprocess.run(
        ["bash", "scripts/run", *args], cwd=checkout, env=env, capture_output=True, text=True, timeout=600,
        stdin=subprocess.DEVNULL,
    )


def test_without_the_cli_or_go_it_says_how_to_install_them(checkout, tmp_path):
    result = run(checkout, env={"PATH": "/usr/bin:/bin", "PULUMI_HOME": str(tmp_path / "empty"), "PULUMI_OFFICIAL_INSTALLER": "no"})

    assert result.returncode == 1
    assert "could not install the Pulumi CLI" in result.stderr and "Go toolchain" in result.stderr
    assert not (checkout / ".emulator-state").exists()


@pytest.mark.timeout(900)  # two `pulumi up` runs through the real CLI, as the real-CLI tests (tests/cli/conftest.py)
@pytest.mark.skipif(port_in_use(9000), reason="something already listens on 127.0.0.1:9000")
def test_two_runs_make_both_local_images_then_change_nothing(checkout):
    if pulumi_executable() is None and os.environ.get("CI") != "true":
        pytest.skip("the Pulumi CLI is not installed (scripts/install-pulumi)")

    first = run(checkout, "--yes")

    assert first.returncode == 0, first.stdout + first.stderr
    assert "Starting the CVM emulator on http://127.0.0.1:9000" in first.stdout
    assert "+ 5 created" in first.stdout
    state = EmulatorControl(EMULATOR_URL).state()
    assert sorted((image["ImageName"], image["ImageState"]) for image in state["images"]) == [
        ("local-api-base", "NORMAL"),
        ("local-web-base", "NORMAL"),
    ]

    second = run(checkout)  # no terminal: the script confirms with --yes itself and says so

    assert second.returncode == 0, second.stdout + second.stderr
    assert "running `pulumi up --yes`" in second.stderr
    assert "5 unchanged" in second.stdout and "created" not in second.stdout
    assert [image["ImageId"] for image in EmulatorControl(EMULATOR_URL).state()["images"]] == [
        image["ImageId"] for image in state["images"]
    ]
    assert git(checkout, "status", "--porcelain") == ""  # state and emulator files are ignored; the stack file is untouched
