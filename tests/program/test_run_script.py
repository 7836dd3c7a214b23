"""scripts/run, the README's main command, with a stand-in `pulumi` on PATH (the real CLI is not installable here)."""

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.control import EmulatorControl
from tests.program.stack_run import ROOT

FAKE_PULUMI = """#!/usr/bin/env bash
echo "pulumi $* backend=$PULUMI_BACKEND_URL passphrase=${PULUMI_CONFIG_PASSPHRASE+set}" >>"$FAKE_PULUMI_LOG"
"""


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A copy of what scripts/run needs, sharing the repo's virtualenv."""
    copy = tmp_path / "project"
    for name in ("scripts", "emulator", "requirements.txt"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    yield copy
    pid_file = copy / ".emulator-state" / "emulator.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text()), signal.SIGTERM)


def run(project: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "FAKE_PULUMI_LOG": str(project / "pulumi.log")}
    env.pop("PULUMI_CONFIG_PASSPHRASE", None)
    return subprocess.run(["bash", "scripts/run", *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_without_the_cli_it_says_how_to_install_it(project):
    result = run(project, "/usr/bin:/bin")
    assert result.returncode == 1
    assert "The Pulumi CLI is not installed" in result.stderr and "pulumi.com" in result.stderr
    assert not (project / ".emulator-state").exists()


@pytest.mark.skipif(port_in_use(9000), reason="something already listens on 127.0.0.1:9000")
def test_it_starts_the_emulator_and_runs_up_on_the_local_stack(project, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(FAKE_PULUMI)
    (bin_dir / "pulumi").chmod(0o755)

    result = run(project, f"{bin_dir}:{os.environ['PATH']}", "--yes")

    assert result.returncode == 0, result.stderr
    assert "Starting the CVM emulator on http://127.0.0.1:9000" in result.stdout
    state = EmulatorControl("http://127.0.0.1:9000").state()
    assert {"ins-emu00001", "ins-emu00002"} <= {instance["InstanceId"] for instance in state["instances"]}
    backend = f"backend=file://{project}/.pulumi passphrase=set"
    assert (project / "pulumi.log").read_text().splitlines() == [
        f"pulumi stack select --create local {backend}",
        f"pulumi up --yes {backend}",
    ]
    assert (project / ".emulator-state" / "emulator.pid").read_text().strip().isdigit()
