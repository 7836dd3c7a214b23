"""Image families: ImageFamily on CreateImage and ModifyImageAttribute, ImageDeprecated, DescribeImageFromFamily
and the families in the control view, driven through the official SDK."""

from collections.abc import Callable
from typing import Any

from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.emulator.sdk import call, state_of

ErrorCode = Callable[[Callable[[], Any]], str]
RUNNING = "ins-emu00002"


def _head(client: CvmClient, family: str) -> str | None:
    image = call(client, "DescribeImageFromFamily", ImageFamily=family).Image
    return image.ImageId if image else None


def _newer(emulator: Any, client: CvmClient, name: str, wait_until: Callable[..., Any], **extra: Any) -> str:
    image_id = call(client, "CreateImage", InstanceId=RUNNING, ImageName=name, **extra).ImageId
    wait_until(lambda: state_of(emulator, image_id) == "NORMAL")
    return image_id


def test_the_family_answers_its_newest_normal_image_that_is_not_deprecated(
    emulator: Any, cvm_client: CvmClient, golden: str, wait_until: Callable[..., Any]
) -> None:
    assert _head(cvm_client, "web") == golden
    newer = _newer(emulator, cvm_client, "golden-2", wait_until, ImageFamily="web")
    image = call(cvm_client, "DescribeImageFromFamily", ImageFamily="web").Image
    assert (image.ImageId, image.ImageName, image.ImageFamily, image.ImageState) == (newer, "golden-2", "web", "NORMAL")
    call(cvm_client, "ModifyImageAttribute", ImageId=newer, ImageDeprecated=True)
    assert _head(cvm_client, "web") == golden
    call(cvm_client, "ModifyImageAttribute", ImageId=newer, ImageDeprecated=False)
    assert _head(cvm_client, "web") == newer
    call(cvm_client, "ModifyImageAttribute", ImageId=newer, ImageFamily="")  # leaves the family
    assert _head(cvm_client, "web") == golden


def test_an_image_still_creating_is_not_the_familys_yet(
    emulator: Any, cvm_client: CvmClient, golden: str
) -> None:
    emulator.control.set_config(image_build_seconds=60)
    call(cvm_client, "CreateImage", InstanceId=RUNNING, ImageName="golden-3", ImageFamily="web")
    assert _head(cvm_client, "web") == golden


def test_no_usable_image_answers_a_null_image(emulator: Any, cvm_client: CvmClient, golden: str) -> None:
    assert _head(cvm_client, "no-such-family") is None
    assert cvm_client.call_json("DescribeImageFromFamily", {})["Response"]["Image"] is None
    call(cvm_client, "ModifyImageAttribute", ImageId=golden, ImageDeprecated=True)
    assert _head(cvm_client, "web") is None
    assert emulator.control.state()["families"] == {}  # a region whose families have no usable image is left out


def test_a_family_is_per_region_and_copies_keep_it(
    emulator: Any, cvm_client: CvmClient, golden: str, region_client: Callable[[str], CvmClient],
    wait_until: Callable[..., Any],
) -> None:
    shanghai = region_client("ap-shanghai")
    assert _head(shanghai, "web") is None
    copy_id = call(cvm_client, "SyncImages", ImageIds=[golden], DestinationRegions=["ap-shanghai"],
                   ImageSetRequired=True).ImageSet[0].ImageId
    assert _head(shanghai, "web") is None  # still CREATING
    wait_until(lambda: _head(shanghai, "web") == copy_id)
    assert emulator.control.state()["families"] == {
        "ap-guangzhou": {"web": golden}, "ap-shanghai": {"web": copy_id}}


def test_a_malformed_family_is_refused(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode
) -> None:
    code = "InvalidParameterValue.InvalidImageFamily"
    for family in ("-web", "web family", "w" * 61):
        assert error_code(lambda: call(cvm_client, "CreateImage", InstanceId=RUNNING, ImageName="x",
                                       ImageFamily=family)) == code, family
        assert error_code(lambda: call(cvm_client, "ModifyImageAttribute", ImageId=golden,
                                       ImageFamily=family)) == code, family
    assert emulator.control.state()["families"] == {"ap-guangzhou": {"web": golden}}
