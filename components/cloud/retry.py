"""The one retry policy for every API call (jittered exponential backoff, bounded by the operation's deadline), and
the one way to tolerate an answer: `tolerating(*codes)`."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def error_code(exc: BaseException) -> str | None:
    return exc.get_code() if isinstance(exc, TencentCloudSDKException) else None


def code_in(code: str | None, family: tuple[str, ...]) -> bool:
    return code is not None and any(code == name or code.startswith(name + ".") for name in family)


def is_transient(exc: BaseException) -> bool:
    return code_in(error_code(exc), TRANSIENT_CODES)


@dataclass(frozen=True)
class Deadline:
    """An absolute point in monotonic time by which an operation must be done, and the setting it comes from (for
    messages: "wait_timeout_minutes", or the resource's customTimeouts)."""

    at: float
    limit: str = "wait_timeout_minutes"

    @classmethod
    def after(cls, seconds: float, limit: str = "wait_timeout_minutes") -> "Deadline":
        return cls(time.monotonic() + seconds, limit)

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


@dataclass
class Tolerated:
    """What `tolerating` caught: the tolerated error (None when the call went through) and its code."""

    error: TencentCloudSDKException | None = None

    @property
    def code(self) -> str | None:
        return self.error.get_code() if self.error is not None else None


@contextmanager
def tolerating(*codes: str) -> Iterator[Tolerated]:
    """Swallow an API error whose code is one of `codes` (or a sub-code of one) and say which it was.

        with tolerating("InvalidImageId.NotFound") as refused:
            api.delete_image(...)
        if refused.code: ...
    """
    caught = Tolerated()
    try:
        yield caught
    except TencentCloudSDKException as exc:
        if not code_in(exc.get_code(), codes):
            raise
        caught.error = exc
