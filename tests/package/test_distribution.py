"""The distribution a consumer installs (pyproject.toml): its import names, dependencies and version."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# The source folders and the names the wheel installs them under.
PACKAGE_DIRS = {"cvm_images": "components", "cvm_images.emulator": "emulator"}


def requirement_lines(path: Path) -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line and not line.startswith("-")}


def source_packages() -> set[str]:
    """Every package in the source folders (a folder with an __init__.py), under its installed name."""
    return {
        ".".join([name, *init.parent.relative_to(ROOT / folder).parts])
        for name, folder in PACKAGE_DIRS.items()
        for init in (ROOT / folder).rglob("__init__.py")
    }


def test_the_package_is_installed_under_its_own_names_and_no_other() -> None:
    setuptools = PROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == PACKAGE_DIRS
    assert set(setuptools["packages"]) == source_packages()  # every subpackage ships, nothing else
    assert {"cvm_images.cloud", "cvm_images.operations"} <= source_packages()


def test_its_dependencies_are_requirements_txt_with_the_bridge_as_the_golden_extra() -> None:
    project = PROJECT["project"]
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["golden"])
    assert declared == requirement_lines(ROOT / "requirements.txt")
    assert [re.split(r"[<>=]", line)[0] for line in project["optional-dependencies"]["golden"]] == [
        "tencentcloud-iac-pulumi"
    ]
    assert project["requires-python"] == ">=3.11"


def test_the_changelog_opens_with_this_version_and_its_state_fixture_exists() -> None:
    version = PROJECT["project"]["version"]
    headings = re.findall(r"^## \[?(\d+\.\d+\.\d+)\]?", (ROOT / "CHANGELOG.md").read_text(), flags=re.MULTILINE)
    assert headings[:1] == [version]
    assert (ROOT / "tests" / "cli" / "fixtures" / f"state-{version}.json").is_file()


@pytest.mark.parametrize("folder", sorted(PACKAGE_DIRS.values()))
def test_modules_import_their_own_package_relatively_so_both_names_work(folder: str) -> None:
    # `from emulator.x import y` works in this checkout but not in the wheel, where the folder is cvm_images.emulator.
    absolute = [
        f"{path.name}:{node.lineno}"
        for path in sorted((ROOT / folder).glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in PACKAGE_DIRS.values()
        or isinstance(node, ast.Import) and any(alias.name.split(".")[0] in PACKAGE_DIRS.values() for alias in node.names)
    ]
    assert absolute == []
