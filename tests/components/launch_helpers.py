"""What launches from an image, made in the test emulator through the official SDKs: instances (RunInstances), launch
template versions (CVM) and launch configurations (Auto Scaling), in any region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.components.host_helpers import eventually

HOME = "ap-guangzhou"


def _profile(emulator: Any) -> ClientProfile:
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))


def cvm(emulator: Any, region: str = HOME) -> CvmClient:
    return CvmClient(Credential(emulator.secret_id, emulator.secret_key), region, _profile(emulator))


def autoscaling(emulator: Any, region: str = HOME) -> AutoscalingClient:
    return AutoscalingClient(Credential(emulator.secret_id, emulator.secret_key), region, _profile(emulator))


def run_instances(emulator: Any, image_id: str, region: str = HOME, count: int = 1) -> list[str]:
    params = {"Placement": {"Zone": f"{region}-3"}, "ImageId": image_id, "InstanceCount": count}
    return cvm(emulator, region).call_json("RunInstances", params)["Response"]["InstanceIdSet"]


def terminate(emulator: Any, instance_ids: list[str], region: str = HOME) -> None:
    """TerminateInstances once they have launched, then wait until they are gone from DescribeInstances."""
    client = cvm(emulator, region)

    def states() -> set[str]:
        return {i["InstanceState"] for i in client.call_json("DescribeInstances", {"InstanceIds": instance_ids})["Response"]["InstanceSet"]}

    eventually(lambda: "PENDING" not in states())
    client.call_json("TerminateInstances", {"InstanceIds": instance_ids})
    eventually(lambda: not client.call_json("DescribeInstances", {"InstanceIds": instance_ids})["Response"]["InstanceSet"])


def launch_template(emulator: Any, image_id: str, region: str = HOME) -> str:
    """A template whose version 1 launches from another image and version 2 from `image_id`; its id."""
    client = cvm(emulator, region)
    placement = {"Zone": f"{region}-3"}
    made = client.call_json("CreateLaunchTemplate", {"LaunchTemplateName": "web", "Placement": placement, "ImageId": "img-9id7emv7"})
    template_id = made["Response"]["LaunchTemplateId"]
    client.call_json("CreateLaunchTemplateVersion", {"LaunchTemplateId": template_id, "Placement": placement, "ImageId": image_id})
    return template_id


def delete_launch_template(emulator: Any, template_id: str, region: str = HOME) -> None:
    cvm(emulator, region).call_json("DeleteLaunchTemplate", {"LaunchTemplateId": template_id})


def launch_configuration(emulator: Any, region: str = HOME, **image: str) -> str:
    """A launch configuration with `ImageId=...` or `ImageFamily=...`; its id."""
    params = {"LaunchConfigurationName": f"web-{len(emulator.control.state()['launch_configurations'])}", "InstanceType": "S5.SMALL1", **image}
    return autoscaling(emulator, region).call_json("CreateLaunchConfiguration", params)["Response"]["LaunchConfigurationId"]


def delete_launch_configuration(emulator: Any, config_id: str, region: str = HOME) -> None:
    autoscaling(emulator, region).call_json("DeleteLaunchConfiguration", {"LaunchConfigurationId": config_id})


USERS = ("launch configuration", "launch template", "copy region")


def attach(emulator: Any, user: str, image_id: str, copies: dict[str, str]) -> tuple[str, Callable[[], None]]:
    """Something that launches from the image (a launch configuration, a version of a launch template), or from its
    copy ("copy region": an instance there): how an in-use message names it, and how to detach it."""
    if user == "launch configuration":
        made = launch_configuration(emulator, ImageId=image_id)
        return f"{image_id} in {HOME}: launch configuration {made}", lambda: delete_launch_configuration(emulator, made)
    if user == "launch template":
        made = launch_template(emulator, image_id)
        return f"{image_id} in {HOME}: launch template {made} version 2", lambda: delete_launch_template(emulator, made)
    [(region, copy_id)] = copies.items()
    [instance] = run_instances(emulator, copy_id, region=region)
    return f"{copy_id} in {region}: instance {instance}", lambda: terminate(emulator, [instance], region)
