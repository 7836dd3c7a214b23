"""What launches from a custom image: instances (RunInstances records the ImageId and wants a NORMAL image; no
`image-id` filter on DescribeInstances), and DeleteImages, which refuses nothing for being in use."""

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.emulator.sdk import call, state_of

ErrorCode = Callable[[Callable[[], Any]], str]
ZONE = {"Zone": "ap-guangzhou-3"}


def _run(client: CvmClient, image_id: str, count: int = 1) -> list[str]:
    return call(client, "RunInstances", Placement=ZONE, ImageId=image_id, InstanceCount=count).InstanceIdSet


def _described_image_ids(client: CvmClient) -> dict[str, str]:
    """Every instance's ImageId, paging through DescribeInstances as a client without an image filter must."""
    seen: dict[str, str] = {}
    offset = 0
    while True:
        page = call(client, "DescribeInstances", Offset=offset, Limit=2)
        seen.update({instance.InstanceId: instance.ImageId for instance in page.InstanceSet})
        offset += len(page.InstanceSet)
        if not page.InstanceSet or offset >= page.TotalCount:
            return seen


def test_an_instance_launched_from_a_custom_image_records_it(
    emulator: Any, cvm_client: CvmClient, golden: str
) -> None:
    launched = _run(cvm_client, golden, count=2)
    image_ids = _described_image_ids(cvm_client)
    assert {image_ids[instance_id] for instance_id in launched} == {golden}
    assert image_ids["ins-emu00001"] == "img-9id7emv7"  # the seeded ones run the public image
    assert [i["ImageId"] for i in emulator.control.state()["instances"] if i["InstanceId"] in launched] == [golden] * 2


def test_describe_instances_has_no_image_filter(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode) -> None:
    # cvm api.json (tccli 3.1.189.1) documents no image filter for DescribeInstances: the name is unknown.
    image_filter = [{"Name": "image-id", "Values": ["img-9id7emv7"]}]
    assert error_code(lambda: call(cvm_client, "DescribeInstances", Filters=image_filter)) == "InvalidFilter"


@pytest.mark.parametrize(
    ("image_id", "code"),
    [("img-bad", "InvalidImageId.Malformed"), ("img-zzzzzzzz", "InvalidImageId.NotFound")],
)
def test_run_instances_needs_an_image_that_exists(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, image_id: str, code: str
) -> None:
    assert error_code(lambda: _run(cvm_client, image_id)) == code


def test_run_instances_refuses_an_image_that_is_not_normal(
    emulator: Any, no_lag: Any, cvm_client: CvmClient, error_code: ErrorCode, wait_until: Callable[..., Any]
) -> None:
    emulator.control.set_config(image_build_seconds=0.3)
    building = call(cvm_client, "CreateImage", InstanceId="ins-emu00001", ImageName="building").ImageId
    assert error_code(lambda: _run(cvm_client, building)) == "InvalidParameterValue.InvalidImageState"
    emulator.control.patch_instance("ins-emu00003", image_build_fails=True)
    failing = call(cvm_client, "CreateImage", InstanceId="ins-emu00003", ImageName="failing").ImageId
    wait_until(lambda: state_of(emulator, failing) == "CREATEFAILED" and state_of(emulator, building) == "NORMAL")
    assert error_code(lambda: _run(cvm_client, failing)) == "InvalidParameterValue.InvalidImageId"
    assert len(_run(cvm_client, building)) == 1


def test_delete_images_deletes_an_image_that_everything_launches_from(
    emulator: Any, cvm_client: CvmClient, as_client: AutoscalingClient, golden: str
) -> None:
    instance_id = _run(cvm_client, golden)[0]
    template_id = cvm_client.call_json("CreateLaunchTemplate", {
        "LaunchTemplateName": "web", "Placement": ZONE, "ImageId": golden})["Response"]["LaunchTemplateId"]
    config_id = as_client.call_json("CreateLaunchConfiguration", {
        "LaunchConfigurationName": "web", "ImageId": golden, "InstanceType": "S5.SMALL1"})["Response"][
        "LaunchConfigurationId"]
    request = models.DeleteImagesRequest()
    request.ImageIds = [golden]
    cvm_client.DeleteImages(request)  # no documented code says "in use": the cloud deletes it
    state = emulator.control.state()
    assert golden not in [image["ImageId"] for image in state["images"]]
    assert next(i for i in state["instances"] if i["InstanceId"] == instance_id)["ImageId"] == golden
    template = next(t for t in state["launch_templates"] if t["LaunchTemplateId"] == template_id)
    assert template["Versions"][0]["LaunchTemplateVersionData"]["ImageId"] == golden
    config = next(c for c in state["launch_configurations"] if c["LaunchConfigurationId"] == config_id)
    assert (config["ImageId"], config["LaunchConfigurationStatus"]) == (golden, "IMAGE_ABNORMAL")
