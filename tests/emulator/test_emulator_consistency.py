"""Today's eventual consistency: a new image is missing from DescribeImages, and CreateImage's tags are unbound,
for a configurable lag after CreateImage (default 1 s; 0 allowed; the 2018 era has none)."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.tag.v20180813.tag_client import TagClient

ErrorCode = Callable[[Callable[[], Any]], str]
STOPPED = "ins-emu00001"


def image_resource(image_id: str) -> str:
    return f"qcs::cvm:ap-guangzhou:uin/:image/{image_id}"


MARKER = [{"ResourceType": "image", "Tags": [{"Key": "pulumi-cvm-image:instance-id", "Value": STOPPED}]}]


def _create(client: CvmClient, name: str, **extra: Any) -> str:
    return client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": name, **extra})["Response"]["ImageId"]


def _named(client: CvmClient, name: str) -> list[str]:
    answer = client.call_json("DescribeImages", {"Filters": [{"Name": "image-name", "Values": [name]}]})["Response"]
    return [image["ImageId"] for image in answer["ImageSet"]]


def _bound_tags(tag_client: TagClient, image_id: str) -> dict[str, str]:
    answer = tag_client.call_json("DescribeResourceTagsByResourceIds", {
        "ServiceType": "cvm", "ResourcePrefix": "image", "ResourceIds": [image_id], "ResourceRegion": "ap-guangzhou",
    })["Response"]
    return {row["TagKey"]: row["TagValue"] for row in answer["Tags"]}


def test_defaults_are_one_second_lags(emulator: Any) -> None:
    config = emulator.control.config()
    assert (config["image_visibility_lag_seconds"], config["tag_binding_lag_seconds"]) == (1.0, 1.0)


def test_a_new_image_is_invisible_to_describe_images_for_the_lag(
    emulator: Any, cvm_client: CvmClient, image_of: Callable, wait_until: Callable, error_code: ErrorCode
) -> None:
    emulator.control.set_config(image_visibility_lag_seconds=0.6)
    started = time.monotonic()
    image_id = _create(cvm_client, "lagging")
    assert image_of(image_id) is None and _named(cvm_client, "lagging") == []
    assert emulator.control.state()["images"][0]["Visible"] is False  # the control view sees the truth
    # The name is taken all the same: a second CreateImage learns so, and the client must look again later.
    assert error_code(lambda: _create(cvm_client, "lagging")) == "InvalidImageName.Duplicate"
    wait_until(lambda: image_of(image_id), timeout=3)
    assert time.monotonic() - started >= 0.6
    assert _named(cvm_client, "lagging") == [image_id]


def test_tags_from_create_image_are_bound_after_the_lag(
    emulator: Any, cvm_client: CvmClient, tag_client: TagClient, image_of: Callable, wait_until: Callable
) -> None:
    emulator.control.set_config(image_visibility_lag_seconds=0, tag_binding_lag_seconds=0.6)
    started = time.monotonic()
    image_id = _create(cvm_client, "tagged-late", TagSpecification=MARKER)
    assert image_of(image_id)["Tags"] == [] and _bound_tags(tag_client, image_id) == {}
    state = emulator.control.state()["images"][0]
    assert state["Tags"] == [] and state["PendingTags"] == MARKER[0]["Tags"]
    wait_until(lambda: image_of(image_id)["Tags"], timeout=3)
    assert time.monotonic() - started >= 0.6
    assert image_of(image_id)["Tags"] == MARKER[0]["Tags"]
    assert _bound_tags(tag_client, image_id) == {"pulumi-cvm-image:instance-id": STOPPED}
    assert emulator.control.state()["images"][0]["PendingTags"] == []


def test_a_late_binding_overwrites_a_value_set_meanwhile(
    emulator: Any, cvm_client: CvmClient, tag_client: TagClient, image_of: Callable, wait_until: Callable
) -> None:
    emulator.control.set_config(image_visibility_lag_seconds=0, tag_binding_lag_seconds=0.5)
    spec = [{"ResourceType": "image", "Tags": [{"Key": "team", "Value": "web"}]}]
    image_id = _create(cvm_client, "raced", TagSpecification=spec)
    tags = [{"TagKey": "team", "TagValue": "api"}, {"TagKey": "x", "TagValue": "1"}]
    tag_client.call_json("TagResources", {"ResourceList": [image_resource(image_id)], "Tags": tags})
    assert _bound_tags(tag_client, image_id) == {"team": "api", "x": "1"}
    wait_until(lambda: _bound_tags(tag_client, image_id)["team"] == "web", timeout=3)
    assert image_of(image_id)["Tags"] == [{"Key": "team", "Value": "web"}, {"Key": "x", "Value": "1"}]


def test_zero_lags_make_image_and_tags_visible_at_once(
    emulator: Any, no_lag: Any, cvm_client: CvmClient, tag_client: TagClient, image_of: Callable
) -> None:
    image_id = _create(cvm_client, "at-once", TagSpecification=MARKER)
    assert image_of(image_id)["Tags"] == MARKER[0]["Tags"]
    assert _bound_tags(tag_client, image_id) == {"pulumi-cvm-image:instance-id": STOPPED}


def test_the_2018_era_has_no_lags(emulator: Any, era_2018: Any, cvm_client: CvmClient, image_of: Callable) -> None:
    emulator.control.set_config(image_visibility_lag_seconds=30, tag_binding_lag_seconds=30)
    image_id = _create(cvm_client, "seed", TagSpecification=MARKER)
    assert image_of(image_id)["Tags"] == MARKER[0]["Tags"]


@pytest.mark.parametrize("name", ["image_visibility_lag_seconds", "tag_binding_lag_seconds"])
def test_lags_must_be_non_negative_numbers(emulator: Any, name: str) -> None:
    from emulator.control import ControlError

    for bad in (-1, "1", True):
        with pytest.raises(ControlError):
            emulator.control.set_config(**{name: bad})
    assert emulator.control.set_config(**{name: 0})[name] == 0
