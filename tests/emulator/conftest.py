"""Helpers for the emulator's own tests."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.sts.v20180813.sts_client import StsClient
from tencentcloud.tag.v20180813.tag_client import TagClient

from tests.emulator.sdk import call, state_of

def _wait_until(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def _error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    return caught.value.code


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """wait_until(condition, timeout=5.0): poll until `condition()` is truthy and return it, or fail."""
    return _wait_until


@pytest.fixture
def error_code() -> Callable[[Callable[[], Any]], str]:
    """error_code(call): the SDK error code that `call()` fails with."""
    return _error_code


@pytest.fixture
def image_of(cvm_client: CvmClient) -> Callable[[str], dict[str, Any] | None]:
    def describe(image_id: str) -> dict[str, Any] | None:
        images = cvm_client.call_json("DescribeImages", {"ImageIds": [image_id]})["Response"]["ImageSet"]
        return images[0] if images else None
    return describe


@pytest.fixture
def instance_of(cvm_client: CvmClient) -> Callable[[str], dict[str, Any] | None]:
    def describe(instance_id: str) -> dict[str, Any] | None:
        request = models.DescribeInstancesRequest()
        request.InstanceIds = [instance_id]
        instances = cvm_client.DescribeInstances(request).InstanceSet
        return instances[0]._serialize() if instances else None
    return describe


@pytest.fixture
def create_image(cvm_client: CvmClient) -> Callable[..., str]:
    """CreateImage through call_json (so Reboot can be sent); returns the ImageId."""
    def create(instance_id: str, name: str, **extra: Any) -> str:
        return cvm_client.call_json("CreateImage", {"InstanceId": instance_id, "ImageName": name, **extra})[
            "Response"]["ImageId"]
    return create


@pytest.fixture
def era_2018(emulator: Any) -> Any:
    """The emulator serves the seed's 2018 CreateImage (Reboot, soft shutdown, no lags) for this test."""
    emulator.control.set_config(api_era="2018")
    return emulator


@pytest.fixture
def no_lag(emulator: Any) -> Any:
    """Today's API without eventual consistency: new images and their tags are visible at once."""
    emulator.control.set_config(image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    return emulator


@pytest.fixture
def tag_client(emulator: Any) -> TagClient:
    """The official Tag API client on the emulator's port (the Tag API needs no region)."""
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    return TagClient(Credential(emulator.secret_id, emulator.secret_key), "", profile)


@pytest.fixture
def as_client(emulator: Any) -> AutoscalingClient:
    """The official Auto Scaling client (service `as`, 2018-04-19) on the emulator's port, in ap-guangzhou."""
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    return AutoscalingClient(Credential(emulator.secret_id, emulator.secret_key), emulator.region, profile)


@pytest.fixture
def sts_client(emulator: Any) -> StsClient:
    """The official STS client on the emulator's port, signed with the emulator account's key."""
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    return StsClient(Credential(emulator.secret_id, emulator.secret_key), emulator.region, profile)


@pytest.fixture
def region_client(emulator: Any) -> Callable[[str], CvmClient]:
    """region_client(region): the official CVM client for another region, on the emulator's port."""
    def client(region: str) -> CvmClient:
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
        return CvmClient(Credential(emulator.secret_id, emulator.secret_key), region, profile)
    return client


@pytest.fixture
def golden(emulator: Any, no_lag: Any, cvm_client: CvmClient, wait_until: Callable[..., Any]) -> str:
    """A NORMAL private image `golden` in ap-guangzhou, family `web`; copies take 0.3 s, visible at once."""
    emulator.control.set_config(image_build_seconds=0, image_copy_seconds=0.3)
    image_id = call(cvm_client, "CreateImage", InstanceId="ins-emu00001", ImageName="golden", ImageFamily="web").ImageId
    wait_until(lambda: state_of(emulator, image_id) == "NORMAL")
    return image_id

