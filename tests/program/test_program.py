"""`__main__.py` under Pulumi's mocks, for every stack file in stacks/."""

import json

import pulumi
import pytest

from components.golden_image import _builder_options
from components.stack_config import GoldenImageArgs
from tests.program.stack_run import ROOT, SOURCE_OUTPUTS, STACK_REFERENCE_TYPE, run_stack, stack_config

IMAGE_TYPE = "pulumi-python:dynamic/cvm:Image"
INSTANCE_TYPE = "tencentcloud:Instance/instance:Instance"
COMPONENT_TYPE = "cvm-images:index:GoldenImage"
STACKS = sorted(path.name.split(".")[1] for path in (ROOT / "stacks").glob("Pulumi.*.yaml"))


def test_every_expected_stack_exists():
    assert {"dev", "prod", "local"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_registers_one_component_and_image_per_entry(stack):
    config = stack_config(stack)
    entries = json.loads(config["cvm-images:images"])
    promoted = json.loads(config["cvm-images:promote"])["images"] if "cvm-images:promote" in config else []
    registered, exported = run_stack(stack)
    images = {r.name: r for r in registered if r.type == IMAGE_TYPE}
    builders = {r.name: r for r in registered if r.type == INSTANCE_TYPE}
    components = {r.name for r in registered if r.type == COMPONENT_TYPE}

    assert components == {entry["name"] for entry in entries}
    assert set(images) == {f"{entry['name']}-image" for entry in entries}
    assert set(builders) == {f"{entry['name']}-builder" for entry in entries if "builder" in entry}
    assert set(exported) == {entry["name"] for entry in entries} | set(promoted)
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


def test_the_dev_builder_provisions_itself_then_powers_off_and_its_image_waits_for_that():
    registered, _ = run_stack("dev")
    builder = next(r for r in registered if r.type == INSTANCE_TYPE).inputs
    image = next(r for r in registered if r.type == IMAGE_TYPE).inputs
    assert builder["userDataRaw"].rstrip().endswith("shutdown -h now")
    assert image["wait_for_poweroff"] is True
    assert "reboot" not in image and "force_poweroff" not in image  # the provider must not stop or start it


@pytest.mark.parametrize(("wait", "ignored"), [(True, ["running_flag"]), (None, None)])
def test_a_builder_that_powers_itself_off_is_not_started_again_after_a_refresh(wait, ignored):
    spec = GoldenImageArgs.model_validate(
        {"name": "web", "imageName": "dev-web", "waitForPoweroff": wait,
         "builder": {"imageId": "img-eb30mz89", "instanceType": "S5.MEDIUM2", "availabilityZone": "ap-guangzhou-3"}}
    )
    assert _builder_options(spec, pulumi.ResourceOptions()).ignore_changes == ignored


def test_pipeline_keys_of_an_entry_reach_its_image():
    entry = {
        "name": "web", "imageName": "web-base", "instanceId": "ins-emu00001", "copyToRegions": ["ap-shanghai"],
        "shareWithAccounts": ["100000000011"], "shareCopies": True, "imageFamily": "web", "deprecated": False,
    }
    registered, _ = run_stack("pipeline", {"cvm-images:images": json.dumps([entry])})
    image = next(r for r in registered if r.type == IMAGE_TYPE).inputs
    assert {key: image[key] for key in ("copy_to_regions", "share_with_accounts", "share_copies", "image_family", "deprecated")} == {
        "copy_to_regions": ["ap-shanghai"], "share_with_accounts": ["100000000011"], "share_copies": True,
        "image_family": "web", "deprecated": False,
    }


def test_prod_promotes_devs_web_image_instead_of_baking_it():
    registered, exported = run_stack("prod")
    [reference] = [r for r in registered if r.type == STACK_REFERENCE_TYPE]
    assert reference.name == "my-org/cvm-images/dev"
    assert {r.name for r in registered if r.type in (IMAGE_TYPE, INSTANCE_TYPE)} == {"api-image", "api-builder"}
    assert exported["web"] == SOURCE_OUTPUTS["image_copies"]["web"]["ap-shanghai"]  # dev's copy in prod's region
    assert exported["api"] == "img-api-imag"  # baked here (the mocks' made-up id)


def promoting(images: list[str], **promote: str) -> dict[str, str]:
    return {"cvm-images:promote": json.dumps({"fromStack": "my-org/cvm-images/dev", "images": images, **promote})}


def test_a_stack_may_only_promote_from_the_export_it_names():
    tested = {"tested_ids": {"web": "img-web00001", "api": "img-api00001", "db": "img-db000001"}}
    registered, exported = run_stack("promote-only", promoting(["web", "api"], output="tested_ids"), tested)
    assert exported == {"web": "img-web00001", "api": "img-api00001"}
    assert {r.type for r in registered} == {STACK_REFERENCE_TYPE}


def test_an_image_the_source_stack_does_not_export_stops_the_program_naming_it():
    with pytest.raises(pulumi.RunError) as raised:
        run_stack("promote-only", promoting(["web", "db"]))
    assert "Cannot promote image 'db': stack my-org/cvm-images/dev exports no image id for it in `image_ids`" in str(raised.value)


def test_a_region_without_a_copy_stops_the_program_saying_where_to_copy():
    with pytest.raises(pulumi.RunError) as raised:
        run_stack("promote-only", promoting(["web"], output="image_copies", region="ap-beijing"))
    message = str(raised.value)
    assert "exports no image id for it in `image_copies` for region ap-beijing" in message
    assert "with ap-beijing in the image's copyToRegions" in message


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (promoting(["web"], fromStack="my org/dev"), "`cvm-images:promote` is invalid: promote.fromStack"),
        (promoting([]), "`cvm-images:promote` is invalid: promote.images"),
        (promoting(["web", "web"]), "repeated: web"),
        (
            {**promoting(["web"]), "cvm-images:images": json.dumps([{"name": "web", "imageName": "a", "instanceId": "ins-emu00001"}])},
            "names web both in `cvm-images:images` (baked here) and in `cvm-images:promote`",
        ),
    ],
)
def test_a_bad_promotion_stops_the_program_with_a_message(config, message):
    with pytest.raises(pulumi.RunError) as raised:
        run_stack("broken", {"tencentcloud:region": "ap-guangzhou", **config})
    assert message in str(raised.value)
