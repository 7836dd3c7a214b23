"""A thin wrapper around the official SDK client: the actions the resource uses, each under the one retry policy."""

from collections.abc import Iterator
from typing import Any

from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.tag.v20180813.tag_client import TagClient

from .retry import Deadline, retrying
from .settings import ApiSettings

DESCRIBE_LIMIT = 100  # DescribeImages' (and DescribeInstances') maximum page size and id count
TAG_BATCH = 10  # TagResources / UnTagResources take at most 10 tags (keys) a request
REQUEST_TIMEOUT_SECONDS = 30
TRUE_FALSE = {True: "true", False: "false"}

Image = dict[str, Any]
Instance = dict[str, Any]


def _credential(settings: ApiSettings) -> Credential:
    return Credential(
        settings.secret_id.get_secret_value(),
        settings.secret_key.get_secret_value(),
        settings.security_token.get_secret_value() if settings.security_token else None,
    )


def _sent(service: str, client: Any, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """One request; an API error remembers which action it answered (`service:Action`), for the translator."""
    try:
        return client.call_json(action, params)["Response"]
    except TencentCloudSDKException as exc:
        exc.api_action = f"{service}:{action}"  # type: ignore[attr-defined]
        raise


class CvmApi:
    """CVM image actions for one account, region and endpoint. Thread-safe; share one per process."""

    def __init__(self, settings: ApiSettings) -> None:
        self.region = settings.region
        self._settings = settings
        http = HttpProfile(protocol=settings.scheme, endpoint=settings.endpoint, reqTimeout=REQUEST_TIMEOUT_SECONDS)
        self._client = CvmClient(_credential(settings), settings.region, ClientProfile(httpProfile=http))
        self.tags = TagApi(settings)

    def in_region(self, region: str) -> "CvmApi":
        """The same account and endpoint in another region (copies live in their destination region)."""
        return CvmApi(self._settings.model_copy(update={"region": region}))

    def call_once(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """One request, no retry: for CreateImage, whose retries must check what the lost attempt did."""
        return _sent("cvm", self._client, action, params)

    def call(self, action: str, params: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        """A request that is safe to repeat, retried on transient errors until the deadline."""
        return retrying(deadline)(self.call_once, action, params)

    def describe_images(self, image_ids: list[str], deadline: Deadline) -> dict[str, Image]:
        """The images that still exist among image_ids, by id."""
        return self._by_id("DescribeImages", "ImageIds", "ImageSet", "ImageId", image_ids, deadline)

    def describe_instances(self, instance_ids: list[str], deadline: Deadline) -> dict[str, Instance]:
        """The instances that exist among instance_ids, by id."""
        return self._by_id("DescribeInstances", "InstanceIds", "InstanceSet", "InstanceId", instance_ids, deadline)

    def _by_id(
        self, action: str, ids_param: str, set_key: str, id_key: str, ids: list[str], deadline: Deadline
    ) -> dict[str, dict[str, Any]]:
        """A Describe action over any number of ids, up to 100 per request (the API's limit)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), DESCRIBE_LIMIT):
            params = {ids_param: ids[start : start + DESCRIBE_LIMIT], "Limit": DESCRIBE_LIMIT}
            found.update({item[id_key]: item for item in self.call(action, params, deadline).get(set_key) or []})
        return found

    def stop_instance(self, instance_id: str, hard: bool, deadline: Deadline) -> None:
        """StopInstances: a soft shutdown (StopType SOFT), or a forced power-off (HARD). Already stopped counts as done
        (a retry after a lost answer finds its own stop carried out)."""
        params = {"InstanceIds": [instance_id], "StopType": "HARD" if hard else "SOFT"}
        self._power("StopInstances", params, ("UnsupportedOperation.InstanceStateStopped",), deadline)

    def start_instance(self, instance_id: str, deadline: Deadline) -> None:
        """StartInstances; already starting or running counts as done."""
        done = ("UnsupportedOperation.InstanceStateStarting", "UnsupportedOperation.InstanceStateRunning")
        self._power("StartInstances", {"InstanceIds": [instance_id]}, done, deadline)

    def _power(self, action: str, params: dict[str, Any], done: tuple[str, ...], deadline: Deadline) -> None:
        try:
            self.call(action, params, deadline)
        except TencentCloudSDKException as exc:
            if exc.get_code() not in done:
                raise

    def images_named(self, name: str, deadline: Deadline) -> list[Image]:
        """Private images whose name is exactly `name` (the API's name filter is a fuzzy match)."""
        return [image for image in self._private_images_matching(name, deadline) if image.get("ImageName") == name]

    def _private_images_matching(self, name: str, deadline: Deadline) -> Iterator[Image]:
        filters = [{"Name": "image-name", "Values": [name]}, {"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}]
        offset = 0
        while True:
            params = {"Filters": filters, "Offset": offset, "Limit": DESCRIBE_LIMIT}
            response = self.call("DescribeImages", params, deadline)
            page = response.get("ImageSet") or []
            yield from page
            offset += len(page)
            if not page or offset >= response.get("TotalCount", 0):
                return

    def modify_image(self, image_id: str, name: str, description: str, deadline: Deadline) -> None:
        params = {"ImageId": image_id, "ImageName": name, "ImageDescription": description}
        self.call("ModifyImageAttribute", params, deadline)

    def delete_image(self, image_id: str, delete_snapshots: bool, deadline: Deadline) -> None:
        self.call("DeleteImages", {"ImageIds": [image_id], "DeleteBindedSnap": delete_snapshots}, deadline)

    def set_family(self, image_id: str, family: str, deprecated: bool, deadline: Deadline) -> None:
        """ModifyImageAttribute's family ("" clears it) and deprecation."""
        self.call("ModifyImageAttribute", {"ImageId": image_id, "ImageFamily": family, "ImageDeprecated": deprecated}, deadline)

    def sync_image(self, image_id: str, regions: list[str], name: str) -> dict[str, str]:
        """One SyncImages, no retry (a retry must look for the copies a lost attempt made): {region: copy id}."""
        params = {"ImageIds": [image_id], "DestinationRegions": regions, "ImageName": name, "ImageSetRequired": True}
        response = self.call_once("SyncImages", params)
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


def tag_endpoint(settings: ApiSettings) -> str | None:
    """The Tag API beside the CVM endpoint: a custom endpoint (the emulator) serves both, the cloud has tag's own host."""
    endpoint = settings.endpoint
    if endpoint is None:
        return None  # the SDK's default, tag.tencentcloudapi.com
    host = endpoint.split(":", 1)[0].lower()
    if host.endswith("tencentcloudapi.com"):
        return "tag.intl.tencentcloudapi.com" if ".intl." in f".{host}" else "tag.tencentcloudapi.com"
    return endpoint


class TagApi:
    """Tag API (2018-08-13) actions on CVM images, with the CVM client's credentials. Thread-safe."""

    def __init__(self, settings: ApiSettings) -> None:
        self.region = settings.region
        http = HttpProfile(protocol=settings.scheme, endpoint=tag_endpoint(settings), reqTimeout=REQUEST_TIMEOUT_SECONDS)
        self._client = TagClient(_credential(settings), "", ClientProfile(httpProfile=http))

    def resource(self, image_id: str) -> str:
        return f"qcs::cvm:{self.region}:uin/:image/{image_id}"

    def call(self, action: str, params: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        return retrying(deadline)(_sent, "tag", self._client, action, params)

    def tag_image(self, image_id: str, tags: dict[str, str], deadline: Deadline) -> None:
        """Bind (or re-value) these tags on the image, ten a request."""
        items = list(tags.items())
        for start in range(0, len(items), TAG_BATCH):
            chunk = [{"TagKey": key, "TagValue": value} for key, value in items[start : start + TAG_BATCH]]
            response = self.call("TagResources", {"ResourceList": [self.resource(image_id)], "Tags": chunk}, deadline)
            _raise_failed(response, "TagResources")

    def untag_image(self, image_id: str, keys: list[str], deadline: Deadline) -> None:
        for start in range(0, len(keys), TAG_BATCH):
            params = {"ResourceList": [self.resource(image_id)], "TagKeys": keys[start : start + TAG_BATCH]}
            _raise_failed(self.call("UnTagResources", params, deadline), "UnTagResources")


def _raise_failed(response: dict[str, Any], action: str) -> None:
    """TagResources/UnTagResources answer per-resource failures in the body, not as an error."""
    for failed in response.get("FailedResources") or []:
        exc = TencentCloudSDKException(failed.get("Code") or "FailedOperation", failed.get("Message") or "", response.get("RequestId"))
        exc.api_action = f"tag:{action}"  # type: ignore[attr-defined]
        raise exc
