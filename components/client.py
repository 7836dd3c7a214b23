"""A thin wrapper around the official SDK client: the actions the resource uses, each under the one retry policy."""

from collections.abc import Iterator
from typing import Any

from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from .retry import Deadline, retrying
from .settings import ApiSettings

DESCRIBE_LIMIT = 100  # DescribeImages' maximum page size and ImageIds count
REQUEST_TIMEOUT_SECONDS = 30
TRUE_FALSE = {True: "true", False: "false"}

Image = dict[str, Any]


class CvmApi:
    """CVM image actions for one account, region and endpoint. Thread-safe; share one per process."""

    def __init__(self, settings: ApiSettings) -> None:
        self.region = settings.region
        credential = Credential(
            settings.secret_id.get_secret_value(),
            settings.secret_key.get_secret_value(),
            settings.security_token.get_secret_value() if settings.security_token else None,
        )
        http = HttpProfile(protocol=settings.scheme, endpoint=settings.endpoint, reqTimeout=REQUEST_TIMEOUT_SECONDS)
        self._client = CvmClient(credential, settings.region, ClientProfile(httpProfile=http))

    def call_once(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """One request, no retry: for CreateImage, whose retries must check what the lost attempt did."""
        return self._client.call_json(action, params)["Response"]

    def call(self, action: str, params: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        """A request that is safe to repeat, retried on transient errors until the deadline."""
        return retrying(deadline)(self.call_once, action, params)

    def describe_images(self, image_ids: list[str], deadline: Deadline) -> dict[str, Image]:
        """The images that still exist among image_ids, by id (up to 100 ids per request)."""
        found: dict[str, Image] = {}
        for start in range(0, len(image_ids), DESCRIBE_LIMIT):
            chunk = image_ids[start : start + DESCRIBE_LIMIT]
            response = self.call("DescribeImages", {"ImageIds": chunk, "Limit": DESCRIBE_LIMIT}, deadline)
            found.update({image["ImageId"]: image for image in response.get("ImageSet") or []})
        return found

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
