"""The one error translator: every failure becomes a message that names the image, the region, the fix and what
the next run does."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from .cancel import Cancelled
from .retry import (
    IMAGE_BUSY_CODES,
    INSTANCE_STATE,
    INTERNAL_CODES,
    INTERNAL_ERROR_ATTEMPTS,
    PASSING_INSTANCE_STATES,
    TRANSIENT_CODES,
    code_in,
)

# What the next run does about an image an operation had to leave (at its deadline or on a cancel).
ADOPTED_NEXT = "The next `pulumi up` adopts it and waits again."
DELETED_NEXT = "It stays in the stack: the next `pulumi destroy` (or `pulumi up`) deletes it."
CREATED_NEXT = "The next `pulumi up` creates the image, or adopts it if this attempt made it."
READ_NEXT = "The stack keeps what it had: the next `pulumi refresh` reads it."
REPLACED_NEXT = "The next `pulumi up` finishes the replacement: the image being replaced is untouched or gets its name back."

NO_MESSAGE = "no message"  # what an API error without a message says


class CvmImageError(Exception):
    """An error meant for the person running `pulumi up`: its text is the whole story, no traceback needed."""


class RoleFailure(TencentCloudSDKException):
    """A role's temporary credentials could not be had (an STS exchange, or the CVM metadata server). Keeps the API's
    code, so the retry policy still retries the transient ones; `role` names the role and where it was configured."""

    def __init__(self, cause: TencentCloudSDKException, role: str, via: str) -> None:
        super().__init__(cause.get_code(), cause.get_message(), cause.get_request_id())
        self.role = role
        self.via = via  # the STS action, or "the CVM metadata server"


class AccountRefused(Exception):
    """The account guard (allowedAccountIds / forbiddenAccountIds) refused a change before it was sent."""


@dataclass(frozen=True)
class ImageRef:
    """Which image an operation is about (for messages), and the resource whose request it serves (`urn`, for
    progress lines; None outside an engine request)."""

    image_name: str
    region: str
    instance_id: str | None = None
    image_id: str | None = None
    urn: str | None = None

    def describe(self) -> str:
        ident = f" ({self.image_id})" if self.image_id else ""
        return f"image '{self.image_name}'{ident} in {self.region}"

    def identified(self, image_id: str) -> "ImageRef":
        return replace(self, image_id=image_id)

    def elsewhere(self, region: str, image_id: str | None = None) -> "ImageRef":
        """The same image's copy in another region."""
        return replace(self, region=region, image_id=image_id)


# Instance states that do not end well by themselves (UnsupportedOperation.InstanceState<State>): what they mean and
# what to do. The Go SDK's per-action lists; descriptions from the SDK's errorcodes.
_STUCK_STATES = {
    "Terminating": "being terminated, and will never be imaged. Point instance_id at a live instance",
    "Terminated": "terminated. Point instance_id at a live instance",
    "EnterRescueMode": "entering rescue mode, which it leaves only when someone exits it. Exit rescue mode (console, or "
    "ExitRescueMode) once it is in it",
    "RescueMode": "in rescue mode. Exit rescue mode (console, or ExitRescueMode)",
    "Freezing": "frozen (an account in arrears, or a security freeze). Settle the account, or ask Tencent Cloud to "
    "unfreeze it",
    "Isolating": "being isolated (expired, or its account is in arrears). Renew or recover it (console: Recycle Bin)",
    "Shutdown": "isolated (expired, or its account is in arrears) and due to be terminated. Renew or recover it "
    "(console: Recycle Bin)",
    "Corrupted": "permanently corrupted. Image another instance",
    "Banning": "blocked by Tencent Cloud. Submit a ticket to have it unblocked",
}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _instance_state_fix(state: str, instance: str) -> str | None:
    """UnsupportedOperation.InstanceState<state>: waited out until the deadline if it ends by itself, else at once."""
    name = _CAMEL.sub("_", state).upper()  # ServiceLiveMigrate -> SERVICE_LIVE_MIGRATE, as InstanceState says it
    if state in PASSING_INSTANCE_STATES:
        return f"instance {instance} stayed {name} until the deadline, and an instance in transition can be neither " \
            "stopped, started nor imaged. Wait until it is RUNNING or STOPPED, then run `pulumi up` again"
    if state in _STUCK_STATES:
        return f"instance {instance} is {name}: {_STUCK_STATES[state]}, then run `pulumi up` again"
    return None


def _which(destinations: tuple[str, ...]) -> str:
    if not destinations:
        return "a region of copy_to_regions"
    return destinations[0] if len(destinations) == 1 else f"one of {', '.join(destinations)}"


def _copy_fixes(ref: ImageRef, destinations: tuple[str, ...], api_action: str, message: str) -> dict[str, str]:
    """The codes of SyncImages (and the sharing actions) about regions and locations."""
    among = _which(destinations)
    said = f" (the API says: {message.rstrip('.')})" if message not in ("", NO_MESSAGE) else ""
    name = api_action.partition(":")[2]
    return {
        "InvalidRegion.NotFound": f"{among} is not available to this account{said}. Remove it from copy_to_regions, "
        "then run `pulumi up` again",
        "InvalidRegion.Unavailable": f"{among} takes no image copies: SyncImages does not support it as a destination"
        f"{said}. Remove it from copy_to_regions, then run `pulumi up` again",
        "UnsupportedOperation.Region": f"SyncImages does not copy images from {ref.region} to {among}{said}. Remove "
        "copy_to_regions, or make the image in another region (`tencentcloud:region`)",
        "UnsupportedOperation.LocationImageNotSupported": f"{name} does not take {ref.describe()}: images of its "
        f"location (e.g. a CDC or an edge zone) can be neither copied nor shared{said}. Remove copy_to_regions and "
        "share_with_accounts, or image an instance of a regular zone",
        "InvalidParameter.InstanceImageNotSupport": f"{name} does not take instance images, and {ref.describe()} is "
        "one (an image with data disks: data_disk_ids). Image the system disk only (remove data_disk_ids) where it "
        "must be copied or shared, or remove copy_to_regions and share_with_accounts",
        "UnsupportedRegion": f"the API does not serve {name} in {ref.region}. Check the region: `tencentcloud:region` "
        "for the image, copy_to_regions for its copies",
    }


TOKEN_CODES = ("AuthFailure.TokenFailure", "UnauthorizedOperation.InvalidToken")
MFA_CODES = ("UnauthorizedOperation.MFAExpired", "UnauthorizedOperation.MFANotFound")
_SAVED_CONFIG = (
    "`pulumi refresh`, `pulumi destroy` and `--refresh` sign with the stack config saved in the state by the last "
    "update, not with the stack file: if you have just changed the credentials there, run `pulumi refresh "
    "--run-program` once to save them"
)


def _signed_with(source: str | None) -> str:
    return f"The request was signed with {source}. " if source else ""


def _credential_fix(ref: ImageRef, source: str | None = None) -> str:
    return (
        f"Tencent Cloud rejected the credentials for {ref.region}. {_signed_with(source)}Check `tencentcloud:secretId` "
        "and `tencentcloud:secretKey` (`pulumi config set --secret tencentcloud:secretKey ...`) or "
        f"TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY, or the tccli profile they come from. {_SAVED_CONFIG}"
    )


def _token_fix(source: str | None) -> str:
    return (
        f"the security token was refused: it has expired or is not valid. {_signed_with(source)}A token comes with "
        "temporary keys (`tencentcloud:securityToken`, TENCENTCLOUD_SECURITY_TOKEN, or a tccli profile's `token`) and "
        "dies with them: get fresh ones, or let the provider get and renew them itself (`tencentcloud:assumeRole`, "
        f"`tencentcloud:assumeRoleWithWebIdentity`). {_SAVED_CONFIG}"
    )


def _mfa_fix(code: str, api_action: str) -> str:
    state = "has expired" if code.endswith("MFAExpired") else "is missing"
    return (
        f"CAM protects {api_action} with MFA for these credentials, and the MFA verification {state}. This provider "
        "cannot answer an MFA challenge: sign with credentials whose CAM policy needs no MFA for this action, e.g. a "
        "role assumed with `tencentcloud:assumeRole`"
    )


def _role_fix(code: str, message: str) -> str | None:
    """What to do when a role's credentials cannot be had, for the codes that are about the role itself."""
    if code == "ResourceNotFound.RoleNotFound":
        return "there is no such role. Check the role ARN (qcs::cam::uin/<account>:roleName/<name>)"
    if code == "InvalidParameter.WebIdentityTokenError":
        return "STS refused the web identity token: it has expired, or its issuer or audience is not the CAM identity " \
            "provider's (providerId). A renewal presents the same token, and a GitHub Actions ID token lives minutes: " \
            "make sessionDuration longer than the run"
    if code in ("FailedOperation.CheckMFAError", "FailedOperation.MFATypeNotSupported"):
        return "the role needs MFA, and the MFA code (serialNumber, tokenCode) was refused. Use a role without MFA " \
            "protection for unattended runs"
    if code == "ClientError.MetadataError":
        return f"{message.rstrip('.')}. Run it there, with that role bound to the instance, or choose another source"
    if code.startswith("AuthFailure") or code_in(code, TRANSIENT_CODES + INTERNAL_CODES):
        return None  # not about the role: the general fix for the code applies
    return f"{message.rstrip('.')}. Check the role ARN, and that the role's trust policy lets these credentials (or " \
        "this identity provider) assume it"


def _fix_for(
    code: str, ref: ImageRef, api_action: str = "cvm:CreateImage", message: str = "", source: str | None = None,
    destinations: tuple[str, ...] = (),
) -> str | None:
    instance = ref.instance_id or "the instance"
    unshare = (
        f"{ref.describe()} is shared with other accounts, and a shared image can be neither modified nor deleted. "
        "Unshare it first (ModifyImageSharePermission CANCEL) then run `pulumi up`"
    )
    busy = (
        f"{ref.describe()} was still busy (CREATING, SYNCING or IMPORTING: another task holds it) after it was waited "
        "for, or has failed, and such an image can be neither renamed, copied, shared nor deleted. Check its state "
        "(DescribeImages): wait until it is NORMAL, or delete a failed one, then run `pulumi up` again"
    )
    yourself = "share_with_accounts lists this stack's own account, which owns the image already. Remove it from " \
        "share_with_accounts"
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
        "UnsupportedOperation.SharedImageModifyUnsupported": unshare,
        "InvalidImageId.InShared": unshare,
        "InvalidParameterValue.InvalidImageIdIsShared": unshare,  # DeleteImages' other answer for the same case
        **dict.fromkeys(IMAGE_BUSY_CODES, busy),
        "UnauthorizedOperation.ImageNotBelongToAccount": f"{ref.describe()} is a public image or belongs to another "
        "account: only this account's custom images can be changed. Check the image id",
        "InvalidAccountId.NotFound": "an account of share_with_accounts does not exist. Check the account ids (UINs) "
        "in share_with_accounts, then run `pulumi up` again",
        "FailedOperation.AccountIsYourSelf": yourself,
        "InvalidAccountIs.YourSelf": yourself,  # the other documented answer, with the same description
        "FailedOperation.NotMasterAccount": "an account of share_with_accounts is a collaborator (sub-)account, and "
        "images are shared with root accounts only. Put the root account's UIN in share_with_accounts",
        "InvalidParameter.LocalDataDiskNotSupport": f"a disk of data_disk_ids is a local disk of instance {instance}, "
        "and local data disks cannot be imaged. Keep only cloud disks in data_disk_ids",
        "InvalidAccount.InsufficientBalance": f"the account's balance is too low to create {ref.describe()}. Top up "
        "the account, then run `pulumi up` again",
        "UnsupportedOperation.StoppedModeStopCharging": f"instance {instance} does not support \"no charges when shut "
        "down\" (StoppedMode STOP_CHARGING), and was to be stopped in that mode. The provider asks for none (the "
        "default is KEEP_CHARGING): check the account's default shutdown mode in the console, or stop the instance "
        "yourself, then run `pulumi up` again",
        "UnsupportedOperation.InstanceReinstallFailed": f"instance {instance} failed an OS reinstallation and takes no "
        "power or image operation. Reinstall its OS again, or image another instance, then run `pulumi up` again",
        "OverQuota": f"{ref.describe()} would be shared with more than 500 accounts. Shorten share_with_accounts",
        "InvalidParameterValue.InvalidImageFamily": "Tencent Cloud refused image_family. Use a letter, then letters, "
        "digits, '.', '_' or '-', at most 60 characters",
        "UnsupportedOperation.EncryptedImagesNotSupported": f"{ref.describe()} is encrypted, and an encrypted image "
        "can be neither copied nor shared. Remove copy_to_regions and share_with_accounts, or image an unencrypted disk",
        "AuthFailure.SignatureExpire": "the request signature expired: this machine's clock is more than 5 minutes off. "
        "Fix the clock (NTP) and retry",
    }
    fixes.update(_copy_fixes(ref, destinations, api_action, message))
    if code in fixes:
        return fixes[code]
    if code.startswith(INSTANCE_STATE):
        return _instance_state_fix(code.removeprefix(INSTANCE_STATE), instance)
    if code in TOKEN_CODES:
        return _token_fix(source)
    if code in MFA_CODES:
        return _mfa_fix(code, api_action)
    if code == "AuthFailure.UnauthorizedOperation" or code.startswith("UnauthorizedOperation"):
        service, _, name = api_action.partition(":")
        return f"a CAM policy denies {name}: grant {service}:{name} to this key (its CAM user or role), then run " \
            "`pulumi up` again. The key itself is valid"
    if code == "UnknownParameter":
        refused = re.search(r"`([^`]+)`", message)
        which = f"parameter `{refused.group(1)}`" if refused else "a parameter"
        return f"the API refused {which} of {api_action} as one it does not declare. This provider should never send " \
            "it: report this with the message, and check that the endpoint serves CVM API 2017-03-12"
    if code.startswith("AuthFailure"):
        return _credential_fix(ref, source)
    if code.startswith("RequestLimitExceeded"):
        return "the API kept throttling requests until the deadline. Run `pulumi up` again later or with fewer images at once"
    if code in ("ClientNetworkError", "ServerNetworkError"):
        return "the CVM API could not be reached, or answered with an HTTP error, until the deadline. Check the network " \
            "and the endpoint (`cvmImage:endpoint` / TENCENTCLOUD_CVM_ENDPOINT), then run `pulumi up` again"
    if code.startswith(INTERNAL_CODES):
        return f"Tencent Cloud answered with an internal error (tried up to {INTERNAL_ERROR_ATTEMPTS} times: an " \
            "internal error is not retried until the deadline, as waiting seldom cures it). Run `pulumi up` again " \
            "later; if it persists, give Tencent Cloud support the RequestId"
    return None


def translate(exc: BaseException, action: str, ref: ImageRef) -> CvmImageError:
    """Turn any failure of an API call into a CvmImageError that says what happened and what to do."""
    if isinstance(exc, CvmImageError):
        return exc
    if isinstance(exc, AccountRefused):
        return CvmImageError(f"{action} for {ref.describe()} was refused: {_sentence(str(exc))}")
    if not isinstance(exc, TencentCloudSDKException):
        return CvmImageError(f"{action} for {ref.describe()} failed unexpectedly: {type(exc).__name__}: {exc}")
    code, message = exc.get_code() or "UnknownError", _api_message(exc)
    api_action = getattr(exc, "api_action", None) or f"cvm:{action}"
    source, destinations = getattr(exc, "credential_source", None), getattr(exc, "destinations", ())
    detail = _fix_for(code, ref, api_action, message, source, destinations) or message
    if isinstance(exc, RoleFailure):
        detail = f"the credentials of {exc.role} could not be had from {exc.via}: {_role_fix(code, message) or detail}"
    return failure(action, ref, code, detail, exc.get_request_id())


def failure(action: str, ref: ImageRef, code: str, detail: str, request_id: str | None = None) -> CvmImageError:
    """The one shape of every API failure message."""
    request = f" (RequestId {request_id})" if request_id else ""
    return CvmImageError(f"{action} for {ref.describe()} failed with {code}: {_sentence(detail)}{request}")


def not_sent(action: str, ref: ImageRef, detail: str) -> CvmImageError:
    """The one shape of a call the provider refuses to make: the action, the image, why, and what to do."""
    return CvmImageError(f"{action} for {ref.describe()} was not sent: {_sentence(detail)}")


def _sentence(text: str) -> str:
    """The detail as one sentence that ends with exactly one stop: API messages often bring their own."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", "。", "！", "？")) else f"{text}."


@contextmanager
def translated(action: str, ref: ImageRef, if_cancelled: str) -> Iterator[None]:
    """Every failure leaves the provider as a CvmImageError that names the image and the fix.

    `if_cancelled` says what the next run does when the engine cancels the operation here.
    """
    try:
        yield
    except Cancelled:
        raise CvmImageError(f"Cancelled during {action} for {ref.describe()}. {if_cancelled}") from None
    except Exception as exc:  # noqa: BLE001 - the translator decides what each failure means
        raise translate(exc, action, ref) from None


def _api_message(exc: TencentCloudSDKException) -> str:
    message = exc.get_message()
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message or NO_MESSAGE).strip()[:500]
