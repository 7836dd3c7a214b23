"""The consumer repo examples/infra-repo as a user runs it: this package built into a wheel, the wheel installed into
the example's own venv, the real CLI against the test session's emulator. For tests/cli/test_cli_consumer.py."""

from __future__ import annotations

import base64
import json
import os
import pickletools
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import yaml
from tests.cli.conftest import ROOT, CliProject, pulumi_env

EXAMPLE = ROOT / "examples" / "infra-repo"
FIXTURES = Path(__file__).parent / "fixtures"
STACK = "emulator"  # the example's stack file: Pulumi.emulator.yaml
PASSPHRASE = "consumer-tests"


def build_distributions(out: Path) -> tuple[Path, Path]:
    """`python -m build` of this repo, as CI's release does: the sdist, then the wheel built from it."""
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True, capture_output=True)
    wheels, sdists = sorted(out.glob("cvm_images-*.whl")), sorted(out.glob("cvm_images-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, f"expected one wheel and one sdist in {out}"
    return wheels[0], sdists[0]


def make_venv(venv: Path, wheel: Path) -> None:
    """The example's venv with the wheel pip-installed into it, dependencies resolved as for a consumer.

    The dependencies (pulumi, grpcio, the SDKs) are this repo's .venv, seen through a .pth file: a fresh download and
    install of them costs about 30 s, this about 5 s. The package itself is only the wheel: nothing of this checkout
    (its `components`) is on the venv's path.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
         "--disable-pip-version-check", str(wheel)],
        check=True, capture_output=True,
    )


def consumer_project(base: Path, wheel: Path, emulator: Any) -> CliProject:
    """A copy of examples/infra-repo with its venv, stack `emulator` in a file backend of its own."""
    project = base / "infra-repo"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("venv", ".state", "__pycache__"))
    make_venv(project / "venv", wheel)
    env = {
        **pulumi_env(os.environ, base / "backend", PASSPHRASE),
        # What the example's README exports: the emulator's endpoint and credentials, none of them in the state.
        "TENCENTCLOUD_CVM_ENDPOINT": emulator.url,
        "TENCENTCLOUD_SECRET_ID": emulator.secret_id,
        "TENCENTCLOUD_SECRET_KEY": emulator.secret_key,
    }
    env.pop("TENCENTCLOUD_SECURITY_TOKEN", None)
    cli = CliProject(project, env)
    cli.pulumi("stack", "init", STACK)
    return cli


def import_state(project: CliProject, state: dict[str, Any], scratch: Path) -> None:
    """`pulumi stack import` of a fixture into the project's stack, under that stack's passphrase (a fixture keeps
    its secrets in plain text and names no secrets provider: the CLI needs one to import)."""
    salt = yaml.safe_load((project.dir / f"Pulumi.{STACK}.yaml").read_text())["encryptionsalt"]
    providers = {"type": "passphrase", "state": {"salt": salt}}
    importable = {**state, "deployment": {**state["deployment"], "secrets_providers": providers}}
    scratch.write_text(json.dumps(importable))
    project.pulumi("stack", "import", "--file", str(scratch))


def venv_python(project: CliProject, *args: str) -> subprocess.CompletedProcess[str]:
    """The example venv's python, run in the example's folder."""
    return subprocess.run(
        [str(project.dir / "venv" / "bin" / "python"), *args], cwd=project.dir, capture_output=True, text=True,
        timeout=60,
    )


def pickled_globals(serialized_provider: str) -> set[str]:
    """`module.name` of every class or function a pickled provider refers to (read, never unpickled)."""
    found: set[str] = set()
    strings: list[str] = []
    for opcode, arg, _ in pickletools.genops(base64.b64decode(serialized_provider)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "STACK_GLOBAL":
            found.add(".".join(strings[-2:]))
        elif opcode.name == "GLOBAL":
            found.add(arg.replace(" ", "."))
    return found


def seed_images_of(deployment: dict[str, Any], emulator: Any, image_type: str) -> list[str]:
    """Make in the emulator each image a stack state names, with its id, name, description and tags."""
    ids = []
    for resource in deployment["resources"]:
        if resource["type"] != image_type:
            continue
        outputs = resource["outputs"]
        tags = [{"Key": key, "Value": value} for key, value in (outputs.get("tags") or {}).items()]
        tags.append({"Key": "pulumi-cvm-image:instance-id", "Value": outputs["instance_id"]})
        emulator.control.seed_image(
            outputs["image_id"], outputs["image_name"], ImageDescription=outputs.get("image_description") or "",
            InstanceId=outputs["instance_id"], Tags=tags,
        )
        ids.append(outputs["image_id"])
    return ids
