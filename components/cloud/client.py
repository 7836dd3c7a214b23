"""A thin wrapper around the official SDK client: the actions the resource uses, each under the one retry policy."""

from collections.abc import Iterator
from typing import Any

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from .autoscaling import AutoScalingApi
from .retry import Deadline, tolerating
from .sdk import PAGE_LIMIT, called, paged, profile
from .settings import ApiSettings
from .tags import TagApi

DESCRIBE_LIMIT = PAGE_LIMIT  # DescribeImages' (and DescribeInstances') maximum page size and id count
TRUE_FALSE = {True: "true", False: "false"}
_PRIVATE = {"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}

Image = dict[str, Any]
Instance = dict[str, Any]
LaunchTemplate = dict[str, Any]


class CvmApi:
    """CVM image actions for one account, region and endpoint. Thread-safe; share one per process."""

    def __init__(self, settings: ApiSettings) -> None:
        self.region = settings.region
        self._settings = settings
        self._client = CvmClient(settings.credentials, settings.region, profile(settings, settings.endpoint))
        self.tags = TagApi(settings)
        self.autoscaling = AutoScalingApi(settings)

    def in_region(self, region: str) -> "CvmApi":
        """The same account and endpoint in another region (copies live in their destination region)."""
        return CvmApi(self._settings.model_copy(update={"region": region}))

    def call_once(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """One request, no retry: for CreateImage, whose retries must check what the lost attempt did."""
        return called("cvm", self._client, action, params, None)

    def call(self, action: str, params: dict[str, Any], deadline: Deadline | None) -> dict[str, Any]:
        return called("cvm", self._client, action, params, deadline)

    def describe_images(self, image_ids: list[str], deadline: Deadline) -> dict[str, Image]:
        """The images that still exist among image_ids, by id."""
        return self._by_id("DescribeImages", "ImageIds", "ImageSet", "ImageId", image_ids, deadline)

    def describe_instances(self, instance_ids: list[str], deadline: Deadline | None) -> dict[str, Instance]:
        """The instances that exist among instance_ids, by id."""
        return self._by_id("DescribeInstances", "InstanceIds", "InstanceSet", "InstanceId", instance_ids, deadline)

    def _by_id(
        self, action: str, ids_param: str, set_key: str, id_key: str, ids: list[str], deadline: Deadline | None
    ) -> dict[str, dict[str, Any]]:
        """A Describe action over any number of ids, up to 100 per request (the API's limit)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), DESCRIBE_LIMIT):
            params = {ids_param: ids[start : start + DESCRIBE_LIMIT], "Limit": DESCRIBE_LIMIT}
            found.update({item[id_key]: item for item in self.call(action, params, deadline).get(set_key) or []})
        return found

    def stop_instance(self, instance_id: str, force: bool, deadline: Deadline) -> str | None:
        """StopInstances: a soft shutdown only (StopType SOFT), which can fail, or a soft one forced if it fails
        (SOFT_FIRST). Its RequestId, which DescribeInstances shows as LatestOperationRequestId while this stop is the
        instance's latest operation; None when already stopped (a retry after a lost answer finds its stop done)."""
        params = {"InstanceIds": [instance_id], "StopType": "SOFT_FIRST" if force else "SOFT"}
        return self._power("StopInstances", params, ("UnsupportedOperation.InstanceStateStopped",), deadline)

    def start_instance(self, instance_id: str, deadline: Deadline | None) -> None:
        """StartInstances; already starting or running counts as done."""
        done = ("UnsupportedOperation.InstanceStateStarting", "UnsupportedOperation.InstanceStateRunning")
        self._power("StartInstances", {"InstanceIds": [instance_id]}, done, deadline)

    def _power(self, action: str, params: dict[str, Any], done: tuple[str, ...], deadline: Deadline | None) -> str | None:
        """The call's RequestId; None when it answered one of the `done` codes."""
        with tolerating(*done):
            return self.call(action, params, deadline).get("RequestId")
        return None

    def images_named(self, name: str, deadline: Deadline) -> list[Image]:
        """Private images whose name is exactly `name` (the API's name filter is a fuzzy match)."""
        filters = [{"Name": "image-name", "Values": [name]}, _PRIVATE]
        return [image for image in self._images_matching(filters, deadline) if image.get("ImageName") == name]

    def images_tagged(self, tags: dict[str, str], deadline: Deadline) -> list[Image]:
        """Private images that carry every one of these tags."""
        filters = [{"Name": f"tag:{key}", "Values": [value]} for key, value in tags.items()] + [_PRIVATE]
        return list(self._images_matching(filters, deadline))

    def _images_matching(self, filters: list[dict[str, Any]], deadline: Deadline) -> Iterator[Image]:
        return paged(self.call, "DescribeImages", {"Filters": filters}, "ImageSet", deadline)

    def instances(self, deadline: Deadline) -> Iterator[Instance]:
        """Every instance of the region: DescribeInstances has no image filter."""
        return paged(self.call, "DescribeInstances", {}, "InstanceSet", deadline)

    def launch_templates(self, deadline: Deadline) -> Iterator[LaunchTemplate]:
        """Every launch template of the region (LaunchTemplateInfo)."""
        return paged(self.call, "DescribeLaunchTemplates", {}, "LaunchTemplateSet", deadline)

    def launch_template_versions(self, template_id: str, deadline: Deadline) -> Iterator[LaunchTemplate]:
        """Every version of a launch template (LaunchTemplateVersionInfo: its image is in LaunchTemplateVersionData)."""
        params = {"LaunchTemplateId": template_id}
        return paged(self.call, "DescribeLaunchTemplateVersions", params, "LaunchTemplateVersionSet", deadline)

    def modify_image(
        self, image_id: str, name: str, description: str, deadline: Deadline, deprecated: bool | None = None
    ) -> None:
        """Name and description, and with `deprecated` the deprecation too, in one ModifyImageAttribute."""
        params: dict[str, Any] = {"ImageId": image_id, "ImageName": name, "ImageDescription": description}
        if deprecated is not None:
            params["ImageDeprecated"] = deprecated
        self.call("ModifyImageAttribute", params, deadline)

    def delete_image(self, image_id: str, delete_snapshots: bool, deadline: Deadline) -> None:
        self.call("DeleteImages", {"ImageIds": [image_id], "DeleteBindedSnap": delete_snapshots}, deadline)

    def set_family(self, image_id: str, family: str, deprecated: bool, deadline: Deadline) -> None:
        """ModifyImageAttribute's family ("" clears it) and deprecation."""
        self.call("ModifyImageAttribute", {"ImageId": image_id, "ImageFamily": family, "ImageDeprecated": deprecated}, deadline)

    def available_regions(self, deadline: Deadline) -> list[str] | None:
        """DescribeRegions (CVM 2017-03-12): the regions this account can use; None when the API answers its one
        documented code, UnsupportedOperation (Tencent calls it suspended in favour of the region product's)."""
        with tolerating("UnsupportedOperation"):
            answer = self.call("DescribeRegions", {}, deadline)
            return sorted(item["Region"] for item in answer.get("RegionSet") or [] if item.get("RegionState") == "AVAILABLE")
        return None

    def sync_image(self, image_id: str, regions: list[str], name: str) -> dict[str, str]:
        """One SyncImages, no retry (a retry must look for the copies a lost attempt made): {region: copy id}."""
        params = {"ImageIds": [image_id], "DestinationRegions": regions, "ImageName": name, "ImageSetRequired": True}
        try:
            response = self.call_once("SyncImages", params)
        except TencentCloudSDKException as exc:
            exc.destinations = tuple(regions)  # type: ignore[attr-defined]  # for the translator's message
            raise
        return {item["Region"]: item["ImageId"] for item in response.get("ImageSet") or []}

    def share_image(self, image_id: str, accounts: list[str], permission: str, deadline: Deadline) -> None:
        """ModifyImageSharePermission SHARE or CANCEL for these accounts."""
        params = {"ImageId": image_id, "AccountIds": accounts, "Permission": permission}
        self.call("ModifyImageSharePermission", params, deadline)

    def shared_accounts(self, image_id: str, deadline: Deadline) -> list[str]:
        response = self.call("DescribeImageSharePermission", {"ImageId": image_id}, deadline)
        return sorted(item["AccountId"] for item in response.get("SharePermissionSet") or [])

    def image_from_family(self, family: str, deadline: Deadline) -> Image | None:
        """DescribeImageFromFamily: the family's newest NORMAL, non-deprecated image in this region, or None."""
        return self.call("DescribeImageFromFamily", {"ImageFamily": family}, deadline).get("Image")
