"""The one retry policy for every CVM API call: jittered exponential backoff, bounded by the operation's deadline."""

import time
from dataclasses import dataclass

from tenacity import Retrying, retry_if_exception, stop_before_delay, wait_random_exponential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from .cancel import CANCELLATION, Cancellation

# Error codes (and their sub-codes) that say "try again later", never "fix your input".
TRANSIENT_CODES = (
    "RequestLimitExceeded",
    "InternalError",
    "ServerNetworkError",
    "ClientNetworkError",
    "MutexOperation.TaskRunning",
    "OperationDenied.InstanceOperationInProgress",
    # An instance in transition: the transition ends by itself.
    "UnsupportedOperation.InstanceStateStarting",
    "UnsupportedOperation.InstanceStateStopping",
    "UnsupportedOperation.InstanceStateRebooting",
    "UnsupportedOperation.InstanceStateTerminating",
    "ResourceInUse",
    "ResourceUnavailable",
)

# Codes after which the request may have been carried out although no answer came back.
AMBIGUOUS_CODES = ("ClientNetworkError", "ServerNetworkError", "InternalError")


def error_code(exc: BaseException) -> str | None:
    return exc.get_code() if isinstance(exc, TencentCloudSDKException) else None


def code_in(code: str | None, family: tuple[str, ...]) -> bool:
    return code is not None and any(code == name or code.startswith(name + ".") for name in family)


def is_transient(exc: BaseException) -> bool:
    return code_in(error_code(exc), TRANSIENT_CODES)


@dataclass(frozen=True)
class Deadline:
    """An absolute point in monotonic time by which an operation must be done."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())


def retrying(deadline: Deadline, max_wait: float = 20.0, cancellation: Cancellation = CANCELLATION) -> Retrying:
    """Retry transient errors with full jitter until the next attempt would start after the deadline.

    Once cancelled, no attempt starts and a backoff sleep in progress ends at once, raising Cancelled.
    """
    return Retrying(
        retry=retry_if_exception(is_transient),
        wait=wait_random_exponential(multiplier=0.25, max=max_wait),
        stop=stop_before_delay(deadline.remaining()),
        before=lambda _state: cancellation.check(),
        sleep=cancellation.sleep,
        reraise=True,
    )
