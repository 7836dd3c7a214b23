"""The state contract (CHANGELOG.md, "State compatibility"), pinned without the CLI.

Every stack state out there records the resource's type token, its input and output property names, and the dynamic
provider pickled by import path. Renaming or removing any of them breaks the states that released versions wrote: that
needs a major version and a migration note. Adding a property does not. Each released version leaves its state in
tests/cli/fixtures/state-<version>.json, which the real CLI also imports and previews (tests/cli/test_cli_consumer.py).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components import CvmImage, CvmImageArgs, CvmImageProvider
from components.model.inputs import OUTPUT_KEYS
from components.provider import PROVIDER_KEY
from tests.cli.consumer import FIXTURES, pickled_globals

ROOT = Path(__file__).resolve().parents[2]
IMAGE_TYPE = "pulumi-python:dynamic/cvm:Image"
RELEASED = sorted(FIXTURES.glob("state-*.json"))
# How the installed package (pyproject.toml maps `cvm_images` onto components/) pickles the same provider.
PICKLE_AS_INSTALLED = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location(
    "cvm_images", "components/__init__.py", submodule_search_locations=["components"])
module = importlib.util.module_from_spec(spec)
sys.modules["cvm_images"] = module
spec.loader.exec_module(module)
from pulumi.dynamic.dynamic import serialize_provider
print(json.dumps(serialize_provider(module.CvmImageProvider())))
"""


def released_images() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.stem, resource)
        for path in RELEASED
        for resource in json.loads(path.read_text())["deployment"]["resources"]
        if resource["type"].startswith("pulumi-python:dynamic/")
    ]


def test_the_type_token_is_the_one_released_states_record() -> None:
    assert f"pulumi-python:{CvmImage._resource_type_name}" == IMAGE_TYPE
    assert released_images(), "the fixtures hold no image"
    assert {resource["type"] for _, resource in released_images()} == {IMAGE_TYPE}


@pytest.mark.parametrize("release, image", released_images(), ids=[name for name, _ in released_images()])
def test_every_property_name_a_released_state_records_is_still_an_input_or_output(
    release: str, image: dict[str, Any]
) -> None:
    inputs = {field.name for field in fields(CvmImageArgs)} | {PROVIDER_KEY}
    assert set(image["inputs"]) <= inputs, f"{release}: inputs renamed or removed"
    assert set(image["outputs"]) <= inputs | set(OUTPUT_KEYS), f"{release}: outputs renamed or removed"


@pytest.mark.parametrize("release, image", released_images(), ids=[name for name, _ in released_images()])
def test_released_states_name_the_provider_by_the_packages_import_path(release: str, image: dict[str, Any]) -> None:
    pickled = json.loads(image["inputs"][PROVIDER_KEY]["plaintext"])
    assert pickled_globals(pickled) == {"cvm_images.provider.CvmImageProvider"}


def test_the_provider_pickles_to_its_import_path_only_under_either_name() -> None:
    # This repo's own stacks record `components.provider`; a consumer's record `cvm_images.provider`.
    assert pickled_globals(serialize_provider(CvmImageProvider())) == {"components.provider.CvmImageProvider"}
    installed = subprocess.run(
        [sys.executable, "-c", PICKLE_AS_INSTALLED], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert pickled_globals(json.loads(installed.stdout)) == {"cvm_images.provider.CvmImageProvider"}
    assert len(base64.b64decode(json.loads(installed.stdout))) < 100  # a reference, never the class's code
