"""The consumer repo (examples/infra-repo) through the real CLI, with this package installed from its wheel.

What only this shows: a program outside this repo importing `cvm_images`, the provider process unpickling it from the
example's own venv, and the import path that ends up in the consumer's state. And the state contract: a state written
by each released version (tests/cli/fixtures/state-<version>.json) previews with no change under this one and updates
cleanly.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_checks import summary
from tests.cli.conftest import IMAGE_TYPE, CliProject
from tests.cli.consumer import (
    FIXTURES,
    build_distributions,
    consumer_project,
    import_state,
    pickled_globals,
    seed_images_of,
    venv_python,
)
from tests.engine.cvm_stack import actions, mutations

PROVIDER = "cvm_images.provider.CvmImageProvider"
STATE_FIXTURES = sorted(FIXTURES.glob("state-*.json"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory, pulumi_path: str) -> Path:
    return build_distributions(tmp_path_factory.mktemp("dist"))[0]


@pytest.fixture
def consumer(tmp_path: Path, wheel: Path, emulator: Any) -> Iterator[CliProject]:
    yield consumer_project(tmp_path, wheel, emulator)


def test_the_wheel_holds_the_two_packages_and_no_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"cvm_images", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "cvm_images/provider.py" in names and "cvm_images/emulator/__main__.py" in names
    assert not any("/tests/" in name or name.startswith("tests/") for name in names)


def only_image(project: CliProject) -> dict[str, Any]:
    """The one image in the stack's state, its secrets (the pickled provider is one) in plain text."""
    images = [res for res in project.resources("--show-secrets") if res["type"] == IMAGE_TYPE]
    assert [res["urn"].rsplit("::", 1)[1] for res in images] == ["web-image"], images
    return images[0]


def provider_globals(image: dict[str, Any]) -> set[str]:
    return pickled_globals(json.loads(image["inputs"]["__provider"]["plaintext"]))


def test_the_consumer_repo_previews_deploys_renames_and_destroys_with_cvm_images_in_its_state(
    consumer: CliProject, emulator: Any
) -> None:
    installed = venv_python(consumer, "-c", "import cvm_images; print(cvm_images.__file__)")
    assert installed.returncode == 0 and "/venv/lib/" in installed.stdout, installed  # the wheel, in its own venv
    assert venv_python(consumer, "-c", "import components").returncode != 0  # nothing of this checkout is on its path
    emulator_help = venv_python(consumer, "-m", "cvm_images.emulator", "--help")
    assert "usage: python -m cvm_images.emulator" in emulator_help.stdout, emulator_help

    preview = consumer.preview()

    assert summary(preview) == {"to create": 2}  # the stack and the image
    assert actions(emulator.control) == []

    up = consumer.up()

    assert summary(up) == {"created": 2}
    image = only_image(consumer)
    image_id = image["outputs"]["image_id"]
    assert {i["ImageId"]: i["ImageName"] for i in emulator.control.state()["images"]} == {image_id: "infra-web"}
    assert PROVIDER in provider_globals(image)
    assert not any(name.startswith("components.") for name in provider_globals(image))
    emulator.control.clear_requests()

    consumer.pulumi("config", "set", "imageName", "infra-web-v2")
    renamed = consumer.up()

    assert summary(renamed) == {"updated": 1, "unchanged": 1}
    assert set(mutations(emulator.control)) == {"ModifyImageAttribute"}  # in place: no create, no delete
    assert only_image(consumer)["outputs"]["image_id"] == image_id
    assert {i["ImageId"]: i["ImageName"] for i in emulator.control.state()["images"]} == {image_id: "infra-web-v2"}

    destroy = consumer.destroy()

    assert summary(destroy) == {"deleted": 2}
    assert emulator.control.state()["images"] == []
    assert consumer.resources() == []


@pytest.mark.parametrize("fixture", STATE_FIXTURES, ids=[path.stem for path in STATE_FIXTURES])
def test_a_state_written_by_a_released_version_previews_with_no_change_and_renames_cleanly(
    fixture: Path, consumer: CliProject, emulator: Any, tmp_path: Path
) -> None:
    state = json.loads(fixture.read_text())
    [image_id] = seed_images_of(state["deployment"], emulator, IMAGE_TYPE)
    import_state(consumer, state, tmp_path / "import.json")
    emulator.control.clear_requests()

    unchanged = consumer.preview("--diff", "--expect-no-changes")

    assert summary(unchanged) == {"unchanged": 2}
    assert actions(emulator.control) == []

    consumer.pulumi("config", "set", "imageName", "infra-web-renamed")
    renamed = consumer.up()

    assert summary(renamed) == {"updated": 1, "unchanged": 1}
    assert set(mutations(emulator.control)) == {"ModifyImageAttribute"}  # in place: no create, no delete
    assert only_image(consumer)["outputs"]["image_id"] == image_id
    assert {i["ImageId"]: i["ImageName"] for i in emulator.control.state()["images"]} == {image_id: "infra-web-renamed"}
