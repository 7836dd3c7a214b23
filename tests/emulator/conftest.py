"""Helpers for the emulator's own tests."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

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
