"""The one error translator: API errors become messages that name the image, the region and the fix."""

from dataclasses import dataclass

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException


class CvmImageError(Exception):
    """An error meant for the person running `pulumi up`: its text is the whole story, no traceback needed."""


@dataclass(frozen=True)
class ImageRef:
    """Which image an operation is about, for messages."""

    image_name: str
    region: str
    instance_id: str | None = None
    image_id: str | None = None

    def describe(self) -> str:
        ident = f" ({self.image_id})" if self.image_id else ""
        return f"image '{self.image_name}'{ident} in {self.region}"


def _credential_fix(ref: ImageRef) -> str:
    return (
        f"Tencent Cloud rejected the credentials for {ref.region}. Check `tencentcloud:secretId` and "
        "`tencentcloud:secretKey` (`pulumi config set --secret tencentcloud:secretKey ...`) or "
        "TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY"
    )


def _fix_for(code: str, ref: ImageRef) -> str | None:
    instance = ref.instance_id or "the instance"
    fixes = {
        "ImageQuotaLimitExceeded": f"the custom image quota of {ref.region} is used up. Delete custom images you no longer "
        "need (DescribeImageQuota shows the quota) or ask Tencent Cloud for a higher quota, then run `pulumi up` again",
        "InvalidImageName.Duplicate": "another image in the region already has this name. Choose another image_name, "
        "or delete or rename the existing image",
        "InvalidInstance.NotSupported": f"instance {instance} cannot be imaged now: it is starting, stopping, failed to "
        "launch, has a local system disk, or is running while reboot is false. Wait until it is RUNNING or STOPPED, "
        "or set reboot=True to let CVM shut it down for the image",
        "InvalidInstanceId.NotFound": f"instance {instance} does not exist in {ref.region}. Check instance_id and "
        "`tencentcloud:region`",
        "InvalidInstanceId.Malformed": f"{instance} is not a valid instance id (ins-xxxxxxxx)",
        "InvalidParameter.ValueTooLarge": "image_name is limited to 60 characters and image_description to 256. Shorten them",
        "MutexOperation.TaskRunning": f"another image task is still running on instance {instance}. Wait for it to "
        "finish, then run `pulumi up` again",
        "OperationDenied.InstanceOperationInProgress": f"instance {instance} is busy with another operation. Wait for "
        "it to finish, then run `pulumi up` again",
        "AuthFailure.SignatureExpire": "the request signature expired: this machine's clock is more than 5 minutes off. "
        "Fix the clock (NTP) and retry",
    }
    if code in fixes:
        return fixes[code]
    if code.startswith("AuthFailure"):
        return _credential_fix(ref)
    if code.startswith("RequestLimitExceeded"):
        return "the API kept throttling requests until the deadline. Run `pulumi up` again later or with fewer images at once"
    if code in ("ClientNetworkError", "ServerNetworkError"):
        return "the CVM API could not be reached, or answered with an HTTP error, until the deadline. Check the network " \
            "and the endpoint (`cvmImage:endpoint` / TENCENTCLOUD_CVM_ENDPOINT), then run `pulumi up` again"
    if code.startswith("InternalError"):
        return "Tencent Cloud kept failing with an internal error until the deadline. Run `pulumi up` again later"
    return None


def translate(exc: BaseException, action: str, ref: ImageRef) -> CvmImageError:
    """Turn any failure of an API call into a CvmImageError that says what happened and what to do."""
    if isinstance(exc, CvmImageError):
        return exc
    if not isinstance(exc, TencentCloudSDKException):
        return CvmImageError(f"{action} for {ref.describe()} failed unexpectedly: {type(exc).__name__}: {exc}")
    code = exc.get_code() or "UnknownError"
    return failure(action, ref, code, _fix_for(code, ref) or _api_message(exc), exc.get_request_id())


def failure(action: str, ref: ImageRef, code: str, detail: str, request_id: str | None = None) -> CvmImageError:
    """The one shape of every API failure message."""
    request = f" (RequestId {request_id})" if request_id else ""
    return CvmImageError(f"{action} for {ref.describe()} failed with {code}: {detail}.{request}")


def name_taken(ref: ImageRef, image_id: str, state: str | None) -> CvmImageError:
    """The name belongs to an image that this resource did not make: say which, never take it over."""
    return failure(
        "CreateImage",
        ref,
        "InvalidImageName.Duplicate",
        f"image {image_id} ({state}) already has this name and was not made from {ref.instance_id} by this resource. "
        "Choose another image_name, or delete or rename that image",
    )


def _api_message(exc: TencentCloudSDKException) -> str:
    message = exc.get_message()
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message or "no message").strip()[:500]
