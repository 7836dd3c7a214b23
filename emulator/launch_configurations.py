"""Auto Scaling launch configurations (AS 2018-04-19; a mixin of CvmBackend): what a scaling group would launch.

A configuration names its image by ImageId (a public image or a NORMAL private one of its region, checked when it is
made) or by ImageFamily (not resolved). The emulator has no scaling groups, so no configuration is ever in use
(ResourceInUse.LaunchConfigurationIdInUse never happens). Deleting its image does not touch the configuration: it
shows LaunchConfigurationStatus IMAGE_ABNORMAL from then on.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .images import PUBLIC_IMAGES, LaunchCodes

if TYPE_CHECKING:
    from .backend import Region

LAUNCH_CONFIGURATION_ID = re.compile(r"^asc-[a-z0-9]{8}$")
CONFIGURATION_QUOTA = 50  # "每个地域默认只能创建50个启动配置" (CreateLaunchConfiguration)
# CreateLaunchConfiguration's image codes (the Go SDK's list has no state code; a busy or failed image is "invalid").
AS_LAUNCH = LaunchCodes(
    malformed="InvalidParameterValue.InvalidImageId", not_found="InvalidParameterValue.ImageNotFound",
    busy="InvalidParameterValue.InvalidImageId", unusable="InvalidParameterValue.InvalidImageId",
)


@dataclass
class LaunchConfiguration:
    config_id: str
    region: str
    name: str
    image_id: str | None  # None when the configuration names an ImageFamily
    image_family: str
    instance_types: list[str]
    created_at: float
    settings: dict[str, Any]  # the other fields it was made with, as given: ProjectId, SystemDisk, UserData, ...
    tags: list[dict[str, str]]  # on the configuration itself


@dataclass
class ConfigurationRequest:
    """A validated CreateLaunchConfiguration request."""

    name: str
    image_id: str | None
    image_family: str
    instance_types: list[str]
    settings: dict[str, Any]
    tags: list[dict[str, str]]


def _malformed(config_id: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue.InvalidLaunchConfigurationId",
        f"Launch configuration id `{config_id}` is malformed: expected asc-xxxxxxxx.",
    )


class LaunchConfigurationActions:
    """CreateLaunchConfiguration, DescribeLaunchConfigurations, DeleteLaunchConfiguration."""

    # Provided by CvmBackend and ImageActions.
    clock: Callable[[], float]
    region: Callable[[str], "Region"]
    _new_id: Callable[[str], str]
    _launchable_image: Callable[["Region", str, LaunchCodes], None]

    def create_launch_configuration(self, region_name: str, request: ConfigurationRequest) -> LaunchConfiguration:
        region = self.region(region_name)
        if request.image_id is not None:
            self._launchable_image(region, request.image_id, AS_LAUNCH)
        if any(config.name == request.name for config in region.launch_configurations.values()):
            raise ApiError(
                "InvalidParameterValue.LaunchConfigurationNameDuplicated",
                f"Launch configuration name `{request.name}` already exists in this region.",
            )
        if len(region.launch_configurations) >= CONFIGURATION_QUOTA:
            raise ApiError(
                "LimitExceeded.LaunchConfigurationQuotaNotEnough",
                f"A region holds at most {CONFIGURATION_QUOTA} launch configurations.",
            )
        config = LaunchConfiguration(
            config_id=self._new_id("asc-"), region=region_name, name=request.name, image_id=request.image_id,
            image_family=request.image_family, instance_types=list(request.instance_types), created_at=self.clock(),
            settings=dict(request.settings), tags=[dict(tag) for tag in request.tags],
        )
        region.launch_configurations[config.config_id] = config
        return config

    def listed_launch_configurations(self, region_name: str, config_ids: list[str]) -> list[LaunchConfiguration]:
        """The region's configurations, oldest first; only those of `config_ids` if any are given (unknown: none)."""
        for config_id in config_ids:
            if not LAUNCH_CONFIGURATION_ID.match(config_id):
                raise _malformed(config_id)
        configs = self.region(region_name).launch_configurations.values()
        chosen = [config for config in configs if not config_ids or config.config_id in config_ids]
        return sorted(chosen, key=lambda config: (config.created_at, config.config_id))

    def launch_configuration_status(self, config: LaunchConfiguration) -> str:
        """NORMAL, or IMAGE_ABNORMAL once its image is gone."""
        image_id = config.image_id
        missing = image_id is not None and image_id not in PUBLIC_IMAGES and (
            image_id not in self.region(config.region).images)
        return "IMAGE_ABNORMAL" if missing else "NORMAL"

    def delete_launch_configuration(self, region_name: str, config_id: str) -> None:
        if not LAUNCH_CONFIGURATION_ID.match(config_id):
            raise _malformed(config_id)
        region = self.region(region_name)
        if config_id not in region.launch_configurations:
            raise ApiError(
                "ResourceNotFound.LaunchConfigurationIdNotFound", f"Launch configuration `{config_id}` does not exist."
            )
        del region.launch_configurations[config_id]
