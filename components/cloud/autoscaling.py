"""The Auto Scaling API (service `as`, 2018-04-19): the launch configurations of a region, which may launch from an
image (their ImageId) or from an image family (their ImageFamily)."""

from collections.abc import Iterator
from typing import Any

from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient

from .retry import Deadline
from .sdk import called, paged, profile
from .settings import ApiSettings, service_endpoint

LaunchConfiguration = dict[str, Any]


class AutoScalingApi:
    """Auto Scaling actions in one region, with the CVM client's credentials. Thread-safe."""

    def __init__(self, settings: ApiSettings) -> None:
        endpoint = service_endpoint(settings.endpoint, "as")
        self._client = AutoscalingClient(settings.credentials, settings.region, profile(settings, endpoint))

    def call(self, action: str, params: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        return called("as", self._client, action, params, deadline)

    def launch_configurations(self, deadline: Deadline) -> Iterator[LaunchConfiguration]:
        """Every launch configuration of the region: DescribeLaunchConfigurations has no image filter."""
        return paged(self.call, "DescribeLaunchConfigurations", {}, "LaunchConfigurationSet", deadline)
