"""`__main__.py` under Pulumi's mocks, for every stack file in stacks/."""

import json

import pulumi
import pytest

from tests.program.stack_run import ROOT, run_stack, stack_config

IMAGE_TYPE = "pulumi-python:dynamic/cvm:Image"
INSTANCE_TYPE = "tencentcloud:Instance/instance:Instance"
COMPONENT_TYPE = "cvm-images:index:GoldenImage"
STACKS = sorted(path.name.split(".")[1] for path in (ROOT / "stacks").glob("Pulumi.*.yaml"))


def test_every_expected_stack_exists():
    assert {"dev", "prod", "local"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_registers_one_component_and_image_per_entry(stack):
    entries = json.loads(stack_config(stack)["cvm-images:images"])
    registered, exported = run_stack(stack)
    images = {r.name: r for r in registered if r.type == IMAGE_TYPE}
    builders = {r.name: r for r in registered if r.type == INSTANCE_TYPE}
    components = {r.name for r in registered if r.type == COMPONENT_TYPE}

    assert components == {entry["name"] for entry in entries}
    assert set(images) == {f"{entry['name']}-image" for entry in entries}
    assert set(builders) == {f"{entry['name']}-builder" for entry in entries if "builder" in entry}
    assert set(exported) == {entry["name"] for entry in entries}
    for entry in entries:
        image = images[f"{entry['name']}-image"].inputs
        assert image["image_name"] == entry["imageName"]
        assert image.get("image_description") == entry.get("description")
        assert image.get("tags") == entry.get("tags")
        assert image.get("reboot") == entry.get("reboot")
        assert image["__provider"]  # the pickled provider travels with every image
        if "instanceId" in entry:
            assert image["instance_id"] == entry["instanceId"]
        else:
            builder = builders[f"{entry['name']}-builder"].inputs
            assert builder["imageId"] == entry["builder"]["imageId"]
            assert builder["instanceType"] == entry["builder"]["instanceType"]
            assert builder.get("tags") == entry.get("tags")  # builders are tagged like their images
            assert image["instance_id"] == f"{entry['name']}-builder-id"  # the builder's id flows into the image


def test_local_stack_uses_only_seeded_instances_and_the_emulator():
    config = stack_config("local")
    assert config["cvmImage:endpoint"].startswith("http://127.0.0.1:")
    registered, _ = run_stack("local")
    assert not [r for r in registered if r.type == INSTANCE_TYPE]
    assert {r.inputs["instance_id"] for r in registered if r.type == IMAGE_TYPE} <= {"ins-emu00001", "ins-emu00002", "ins-emu00003"}


def test_dev_and_prod_keep_no_credentials_in_files():
    for stack in ("dev", "prod"):
        assert not {"tencentcloud:secretId", "tencentcloud:secretKey"} & stack_config(stack).keys()


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (None, "`cvm-images:images` is missing"),
        ([{"name": "web", "imageName": "a"}], "exactly one of instanceId"),
        ([{"name": "web", "imageName": "a", "instanceId": "ins-emu00001", "builder": {}}], "images[0].builder"),
        ([{"name": "web", "imageName": "a", "instanceId": "ins-emu00001", "colour": "red"}], "images[0].colour"),
        (
            [{"name": "a", "imageName": "same", "instanceId": "ins-emu00001"}, {"name": "b", "imageName": "same", "instanceId": "ins-emu00002"}],
            "imageName must be unique",
        ),
    ],
)
def test_bad_stack_config_stops_with_a_message_naming_the_entry(images, message):
    config = {"tencentcloud:region": "ap-guangzhou"}
    if images is not None:
        config["cvm-images:images"] = json.dumps(images)
    with pytest.raises(pulumi.RunError) as raised:
        run_stack("broken", config)
    assert message in str(raised.value)


def test_a_program_may_declare_thousands_of_images():
    """pulumi.dynamic leaks a pickler patch per resource (RecursionError near 985); CvmImage undoes it."""
    specs = [{"name": f"img{n}", "imageName": f"local-img-{n}", "instanceId": "ins-emu00001"} for n in range(1100)]
    registered, exported = run_stack("big", {"cvm-images:images": json.dumps(specs)})
    assert len([r for r in registered if r.type == IMAGE_TYPE]) == 1100
    assert len(exported) == 1100
