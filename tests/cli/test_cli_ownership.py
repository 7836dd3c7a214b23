"""Which images a stack takes over or deletes, through the real CLI and its engine workflows beyond a plain `up`
(issue 18): `--replace`, `replace_on_changes`, `delete_before_replace`, two stacks on one name, an orphan of
`stack rm --force`, `state delete`, `import_`, custom timeouts and `preview --json`."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from tests.cli.cli_checks import assert_no_traceback
from tests.cli.conftest import STACK, CliProject, declared_images
from tests.engine.cvm_stack import actions, images

RUNNING = "ins-emu00002"
# A program of one CvmImage whose resource options come from the stack config (the project's own program builds its
# images from `cvm-images:images`, which has no resource options).
PROGRAM = textwrap.dedent('''
    import pulumi
    from components import CvmImage, CvmImageArgs

    config = pulumi.Config()
    timeouts = config.get("createTimeout")
    options = pulumi.ResourceOptions(
        replace_on_changes=["tags"],
        delete_before_replace=config.get_bool("deleteBeforeReplace") or False,
        import_=config.get("importId"),
        custom_timeouts=pulumi.CustomTimeouts(create=timeouts) if timeouts else None,
    )
    image = CvmImage(
        "web-image",
        CvmImageArgs(instance_id=config.require("instance"), image_name="test-web", tags={"build": config.require("build")}),
        options,
    )
    pulumi.export("image_id", image.id)
''')


def one_image_program(project: CliProject, **config: str) -> None:
    (project.dir / "__main__.py").write_text(PROGRAM)
    for key, value in {"instance": "ins-emu00001", "build": "1", **config}.items():
        project.pulumi("config", "set", f"cvm-images:{key}", value)


def live(emulator: Any) -> dict[str, tuple[str, str]]:
    return {id_: (image["ImageName"], image["ImageState"]) for id_, image in images(emulator.control).items()}


def urn_of(project: CliProject, name: str) -> str:
    return project.images()[name]["urn"]


def test_replace_of_an_image_that_keeps_its_name_leaves_one_live_image_recorded(
    deployed: CliProject, emulator: Any
) -> None:
    before = live(emulator)
    web_id = deployed.images()["web-image"]["id"]

    run = deployed.up("--replace", urn_of(deployed, "web-image"))

    assert live(emulator) == before  # no image lost, none made
    assert deployed.images()["web-image"]["id"] == web_id
    assert "DeleteImages" not in actions(emulator.control)
    assert f"Image {web_id} ('test-web'), which this resource made and finished earlier" in run.output
    assert "pulumi up --replace" in run.output  # the warning says why it was not rebuilt
    deployed.up("--expect-no-changes")


def test_replace_on_changes_rebuilds_under_the_same_name_and_deletes_the_old_image(project: CliProject, emulator: Any) -> None:
    one_image_program(project)
    project.up()
    [(old_id, _)] = live(emulator).items()
    emulator.control.clear_requests()
    project.pulumi("config", "set", "cvm-images:build", "2")

    project.up()

    [(new_id, (name, state))] = live(emulator).items()
    assert new_id != old_id and (name, state) == ("test-web", "NORMAL")
    assert project.images()["web-image"]["id"] == new_id
    order = [action for action in actions(emulator.control) if action in ("CreateImage", "ModifyImageAttribute", "DeleteImages")]
    assert order == ["CreateImage", "ModifyImageAttribute", "ModifyImageAttribute", "DeleteImages"]  # build, swap, delete


def test_delete_before_replace_keeps_the_old_image_until_the_new_one_is_made(project: CliProject, emulator: Any) -> None:
    one_image_program(project, deleteBeforeReplace="true")
    project.up()
    [(old_id, _)] = live(emulator).items()
    emulator.control.clear_requests()
    project.pulumi("config", "set", "cvm-images:instance", "ins-emu00003")

    project.up()

    [(new_id, (name, _))] = live(emulator).items()
    assert new_id != old_id and name == "test-web" and project.images()["web-image"]["id"] == new_id
    mutations = [action for action in actions(emulator.control) if action in ("CreateImage", "DeleteImages")]
    assert mutations == ["CreateImage", "DeleteImages"]


def test_a_second_stack_declaring_the_names_is_refused_and_touches_nothing_of_the_first(
    deployed: CliProject, emulator: Any
) -> None:
    before = live(emulator)
    deployed.pulumi("stack", "init", "second")
    deployed.stack_file.with_name("Pulumi.second.yaml").write_text(deployed.stack_file.read_text())

    run = deployed.up("--stack", "second", check=False)

    assert run.returncode != 0
    assert_no_traceback(run)
    assert f"made by stack cvm-images/{STACK}, so this resource neither takes it over nor deletes it" in run.output
    deployed.destroy("--stack", "second")
    assert live(emulator) == before


def test_an_image_orphaned_by_stack_rm_force_is_not_taken_by_another_stack(deployed: CliProject, emulator: Any) -> None:
    before = live(emulator)
    config = deployed.stack_file.read_text()
    deployed.pulumi("stack", "rm", "--force", "--yes", STACK)
    deployed.pulumi("stack", "init", "other")
    deployed.stack_file.with_name("Pulumi.other.yaml").write_text(config)

    run = deployed.up("--stack", "other", check=False)

    assert run.returncode != 0 and f"made by stack cvm-images/{STACK}" in run.output
    assert live(emulator) == before


def test_state_delete_then_up_takes_the_image_back_without_stopping_the_running_builder(
    deployed: CliProject, emulator: Any
) -> None:
    api_id, urn = deployed.images()["api-image"]["id"], urn_of(deployed, "api-image")
    deployed.pulumi("state", "delete", "--yes", urn)
    assert "api-image" not in deployed.images()
    emulator.control.clear_requests()

    deployed.up()

    assert deployed.images()["api-image"]["id"] == api_id and api_id in live(emulator)
    assert "StopInstances" not in actions(emulator.control) and "CreateImage" not in actions(emulator.control)
    builder = next(i for i in emulator.control.state()["instances"] if i["InstanceId"] == RUNNING)
    assert builder["InstanceState"] == "RUNNING"


def test_preview_json_marks_a_replacing_property_update_replace(deployed: CliProject) -> None:
    deployed.set_images([{**entry, "instanceId": "ins-emu00003"} if entry["name"] == "web" else entry
                         for entry in declared_images()])

    preview = json.loads(deployed.preview("--json").stdout)

    [step] = [step for step in preview["steps"] if step["urn"].endswith("::web-image") and step["op"] == "replace"]
    assert step["detailedDiff"]["instance_id"]["kind"] == "update-replace"
    assert step["replaceReasons"] == ["instance_id"]


def test_the_import_option_takes_the_image_over_as_adopt_image_does(project: CliProject, emulator: Any) -> None:
    image_id = emulator.control.seed_image("img-imported", "hand-made")["ImageId"]
    one_image_program(project, importId=image_id)

    preview = project.preview()
    up = project.up()

    assert_no_traceback(preview)
    assert_no_traceback(up)
    assert project.images()["web-image"]["id"] == image_id
    assert live(emulator) == {image_id: ("test-web", "NORMAL")}  # renamed to the declared name, nothing made
    assert "CreateImage" not in actions(emulator.control)
    project.pulumi("config", "rm", "cvm-images:importId")
    project.up("--expect-no-changes")  # removing import_ afterwards changes nothing


def test_a_custom_create_timeout_shorter_than_the_build_ends_the_create_in_about_that_time(
    project: CliProject, emulator: Any
) -> None:
    emulator.control.set_config(image_build_seconds=60)
    one_image_program(project, createTimeout="8s")

    run = project.up(check=False)

    assert run.returncode != 0 and run.seconds < 40, run
    assert "customTimeouts create (8 s) ran out" in run.output
    assert [state for _, state in live(emulator).values()] == ["CREATING"]  # left in place, adopted by the next up
