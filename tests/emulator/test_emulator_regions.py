"""Regions as the API knows them: DescribeRegions, a request for a region outside the list, and the regions
SyncImages will not copy into or out of, driven through the official SDK."""

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.tag.v20180813.tag_client import TagClient

from emulator.config import REGIONS
from tests.emulator.sdk import call

ErrorCode = Callable[[Callable[[], Any]], str]
RECORDED = (  # a real account's DescribeRegions (Cloud Custodian's recording, 2022-09), in its order
    "ap-guangzhou", "ap-shanghai", "ap-nanjing", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-hongkong",
    "ap-taipei", "ap-seoul", "ap-tokyo", "ap-singapore", "ap-bangkok", "ap-jakarta", "na-siliconvalley",
    "eu-frankfurt", "eu-moscow", "ap-mumbai", "na-ashburn", "sa-saopaulo", "na-toronto",
)


def test_describe_regions_answers_the_documented_regions(emulator: Any, cvm_client: CvmClient) -> None:
    answer = cvm_client.DescribeRegions(models.DescribeRegionsRequest())
    listed = [region.Region for region in answer.RegionSet]
    assert listed == list(RECORDED) + ["ap-shanghai-fsi", "ap-shenzhen-fsi"]  # plus the API example's two
    assert answer.TotalCount == len(listed) == len(REGIONS)
    assert {region.RegionState for region in answer.RegionSet} == {"AVAILABLE"}
    names = {region.Region: region.RegionName for region in answer.RegionSet}
    assert names["ap-guangzhou"] == "华南地区(广州)" and names["ap-shanghai-fsi"] == "华东地区(上海金融)"


def test_every_listed_region_is_served(emulator: Any, region_client: Callable[[str], CvmClient]) -> None:
    for region in REGIONS:
        assert region_client(region).DescribeImages(models.DescribeImagesRequest()).TotalCount == 2  # public only


@pytest.mark.parametrize(
    ("region", "code"),
    [
        ("gz", "InvalidParameterValue"),  # malformed: as recorded for "gz" and ""
        ("Ap-Guangzhou", "InvalidParameterValue"),
        ("mars-olympus", "InvalidParameterValue"),
        ("ap-atlantis", "UnsupportedRegion"),  # well-formed, not offered
        ("ap-guangzhou-open", "UnsupportedRegion"),  # a region the Go SDK names that DescribeRegions does not list
    ],
)
def test_a_region_outside_the_list(
    emulator: Any, region_client: Callable[[str], CvmClient], error_code: ErrorCode, region: str, code: str
) -> None:
    assert error_code(lambda: region_client(region).DescribeRegions(models.DescribeRegionsRequest())) == code


def test_the_tag_api_checks_a_region_it_is_given(emulator: Any, error_code: ErrorCode) -> None:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    tag = TagClient(Credential(emulator.secret_id, emulator.secret_key), "ap-atlantis", profile)
    read = {"ServiceType": "cvm", "ResourcePrefix": "image", "ResourceIds": ["img-zzzzzzzz"],
            "ResourceRegion": "ap-guangzhou"}
    assert error_code(lambda: tag.call_json("DescribeResourceTagsByResourceIds", read)) == "UnsupportedRegion"


def test_sync_images_into_and_out_of_a_region_that_takes_no_copies(
    emulator: Any, cvm_client: CvmClient, golden: str, region_client: Callable[[str], CvmClient],
    error_code: ErrorCode,
) -> None:
    def sync(client: CvmClient, image_id: str, *regions: str) -> str:
        return error_code(lambda: call(client, "SyncImages", ImageIds=[image_id], DestinationRegions=list(regions)))

    assert sync(cvm_client, golden, "ap-shanghai", "ap-shanghai-fsi") == "InvalidRegion.Unavailable"
    assert sync(cvm_client, golden, "ap-shenzhen-fsi") == "InvalidRegion.Unavailable"
    assert sync(cvm_client, golden, "ap-atlantis") == "InvalidRegion.NotFound"
    assert emulator.control.state()["images"][0]["ImageState"] == "NORMAL"  # all or nothing: no copy started
    emulator.control.seed_image("img-fsi00001", "finance", Region="ap-shanghai-fsi")
    assert sync(region_client("ap-shanghai-fsi"), "img-fsi00001", "ap-shanghai") == "UnsupportedOperation.Region"
