"""Regions from the cloud (issue 20): preview checks only the form of a copy_to_regions name; create and update ask
DescribeRegions (once per process) before SyncImages and refuse a region the account does not have, listing the ones
it has. Through the provider against the emulator, whose DescribeRegions answers today's documented regions."""

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from components.cloud import sdk
from components.cloud.errors import CvmImageError
from tests.components.conftest import configured_provider, images_in
from tests.components.emulator_helpers import STOPPED, calls, detail_of

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("region", ["ap-shanghai-fsi", "ap-shenzhen-fsi", "na-toronto", "ap-atlantis"])
def test_preview_takes_any_well_formed_region_without_asking_the_cloud(emulator, region):
    """The finance regions of DescribeRegions' example, a region of a recorded answer, and one no list has: preview
    cannot know which exist, and makes no API call."""
    result = configured_provider(emulator).check({}, {"instance_id": STOPPED, "image_name": "gold", "copy_to_regions": [region]})

    assert result.failures == [] and result.inputs["copy_to_regions"] == [region]
    assert emulator.control.requests() == []


@pytest.mark.parametrize("region", ["gz", "Ap-Guangzhou", "ap_guangzhou", "ap-", "ap-guangzhou-", "shanghai"])
def test_preview_refuses_a_name_that_is_no_region_name(provider, region):
    [failure] = provider.check({}, {"instance_id": STOPPED, "image_name": "gold", "copy_to_regions": [region]}).failures

    assert failure.property == "copy_to_regions"
    assert f"holds {region!r}, which is not a region name" in failure.reason and "ap-shanghai-fsi" in failure.reason


def test_create_refuses_a_region_the_account_does_not_have_and_lists_the_ones_it_has(provider, checked, emulator):
    inputs = checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai", "ap-atlantis", "eu-atlantis"])

    with pytest.raises(CvmImageError) as raised:
        provider.create(inputs)

    message = str(raised.value)
    assert message.startswith("SyncImages for image 'gold' (img-")
    assert "copy_to_regions names ap-atlantis, eu-atlantis, which DescribeRegions does not list" in message
    available = message.split("Available regions: ", 1)[1].split(".", 1)[0].split(", ")
    assert {"ap-guangzhou", "ap-shanghai-fsi", "na-toronto", "sa-saopaulo"} <= set(available) and len(available) == 22
    assert calls(emulator, "SyncImages") == []
    assert [image["ImageState"] for image in images_in(emulator)] == ["NORMAL"]  # kept: the next up takes it over


def test_a_documented_region_is_copied_to(provider, checked, emulator):
    result = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["na-toronto"]))

    assert list(result.outs["copies"]) == ["na-toronto"]
    [describe] = calls(emulator, "DescribeRegions")
    assert describe["region"] == "ap-guangzhou"  # asked in the stack's own region


def test_the_regions_are_asked_once_per_process_and_only_when_copying(provider, checked, emulator):
    provider.create(checked(instance_id=STOPPED, image_name="plain"))
    assert calls(emulator, "DescribeRegions") == []  # nothing to copy, nothing asked

    first = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))
    news = checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai", "ap-beijing"])
    provider.update(first.id, first.outs, news)

    assert len(calls(emulator, "DescribeRegions")) == 1


def test_without_describe_regions_syncimages_judges_the_region(provider, checked, emulator, monkeypatch):
    """Tencent calls CVM's DescribeRegions suspended; if it answers its one documented code, UnsupportedOperation, the
    regions are not checked beforehand, and SyncImages' own answer is the truth."""
    answer = sdk.sent

    def suspended(service, sdk_client, action, params):
        if action == "DescribeRegions":
            raise TencentCloudSDKException("UnsupportedOperation", "DescribeRegions is suspended.", "req-1")
        return answer(service, sdk_client, action, params)

    monkeypatch.setattr(sdk, "sent", suspended)

    result = provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))

    assert list(result.outs["copies"]) == ["ap-shanghai"]
    assert calls(emulator, "DescribeRegions") == []  # the answer was the suspended one, never the emulator's


def test_a_region_that_takes_no_copies_is_named_with_the_fix(provider, checked, emulator):
    """The emulator's finance regions take no copies (SyncImages documents "some regions" without naming them)."""
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shenzhen-fsi"]))

    detail = detail_of(str(raised.value), "InvalidRegion.Unavailable")
    assert detail.startswith("ap-shenzhen-fsi takes no image copies: SyncImages does not support it as a destination")
    assert "Remove it from copy_to_regions" in detail


def test_a_region_whose_images_cannot_be_copied_out_says_so(emulator, checked):
    provider = configured_provider(emulator, **{"tencentcloud:region": "ap-shanghai-fsi"})
    olds = {"instance_id": STOPPED, "image_name": "gold", "image_id": "img-abcd1234"}

    with pytest.raises(CvmImageError) as raised:
        provider.update("img-abcd1234", olds, checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))

    message = str(raised.value)
    assert message.startswith("SyncImages for image 'gold' (img-abcd1234) in ap-shanghai-fsi failed with UnsupportedOperation.Region: ")
    detail = detail_of(message, "UnsupportedOperation.Region")
    assert "SyncImages does not copy images from ap-shanghai-fsi to ap-shanghai" in detail
    assert "make the image in another region (`tencentcloud:region`)" in detail
