"""The Tag API (2018-08-13) on CVM images: how image tags change after CreateImage (its TagSpecification binds late)."""

from typing import Any

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tag.v20180813.tag_client import TagClient

from .retry import Deadline
from .sdk import called, profile
from .settings import ApiSettings, service_endpoint

TAG_BATCH = 10  # TagResources / UnTagResources take at most 10 tags (keys) a request


def tag_endpoint(settings: ApiSettings) -> str | None:
    """The Tag API beside the CVM endpoint: a custom endpoint (the emulator) serves both, the cloud has tag's own host."""
    return service_endpoint(settings.endpoint, "tag")


class TagApi:
    """Tag API (2018-08-13) actions on CVM images and instances, with the CVM client's credentials. Thread-safe."""

    def __init__(self, settings: ApiSettings) -> None:
        self.region = settings.region
        self._client = TagClient(settings.credentials, "", profile(settings, tag_endpoint(settings)))

    def resource(self, kind: str, resource_id: str) -> str:
        """The six-segment name of a CVM `image` or `instance` of this region."""
        return f"qcs::cvm:{self.region}:uin/:{kind}/{resource_id}"

    def call(self, action: str, params: dict[str, Any], deadline: Deadline | None) -> dict[str, Any]:
        return called("tag", self._client, action, params, deadline)

    def tag_image(self, image_id: str, tags: dict[str, str], deadline: Deadline) -> None:
        self._tag(self.resource("image", image_id), tags, deadline)

    def untag_image(self, image_id: str, keys: list[str], deadline: Deadline) -> None:
        self._untag(self.resource("image", image_id), keys, deadline)

    def tag_instance(self, instance_id: str, tags: dict[str, str], deadline: Deadline) -> None:
        self._tag(self.resource("instance", instance_id), tags, deadline)

    def untag_instance(self, instance_id: str, keys: list[str], deadline: Deadline | None) -> None:
        self._untag(self.resource("instance", instance_id), keys, deadline)

    def _tag(self, resource: str, tags: dict[str, str], deadline: Deadline) -> None:
        """Bind (or re-value) these tags, ten a request."""
        items = list(tags.items())
        for start in range(0, len(items), TAG_BATCH):
            chunk = [{"TagKey": key, "TagValue": value} for key, value in items[start : start + TAG_BATCH]]
            _raise_failed(self.call("TagResources", {"ResourceList": [resource], "Tags": chunk}, deadline), "TagResources")

    def _untag(self, resource: str, keys: list[str], deadline: Deadline | None) -> None:
        for start in range(0, len(keys), TAG_BATCH):
            params = {"ResourceList": [resource], "TagKeys": keys[start : start + TAG_BATCH]}
            _raise_failed(self.call("UnTagResources", params, deadline), "UnTagResources")


def _raise_failed(response: dict[str, Any], action: str) -> None:
    """TagResources/UnTagResources answer per-resource failures in the body, not as an error."""
    for failed in response.get("FailedResources") or []:
        exc = TencentCloudSDKException(failed.get("Code") or "FailedOperation", failed.get("Message") or "", response.get("RequestId"))
        exc.api_action = f"tag:{action}"  # type: ignore[attr-defined]
        raise exc
