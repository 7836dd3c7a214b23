"""The one retry policy for every API call (jittered exponential backoff, bounded by the operation's deadline), and
the one way to tolerate an answer: `tolerating(*codes)`."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_before_delay, wait_random_exponential
from tenacity.stop import stop_base
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from .cancel import CANCELLATION, Cancellation

# UnsupportedOperation.InstanceState<State> of CreateImage, StopInstances and StartInstances, for a state that ends by
# itself: waited out. The other states (terminating, rescue mode, frozen, isolated, ...) do not end well on their own,
# so they fail at once and errors.py says what to do.
INSTANCE_STATE = "UnsupportedOperation.InstanceState"
PASSING_INSTANCE_STATES = (
    "Starting", "Stopping", "Rebooting", "Pending", "ExitRescueMode",
    "EnterServiceLiveMigrate", "ServiceLiveMigrate", "ExitServiceLiveMigrate",
)

# Error codes (and their sub-codes) that say "try again later", never "fix your input".
TRANSIENT_CODES = (
    "RequestLimitExceeded",
    "ServerNetworkError",
    "ClientNetworkError",
    "MutexOperation.TaskRunning",
    "OperationDenied.InstanceOperationInProgress",
    "ResourceInUse",
    "ResourceUnavailable",
    *(INSTANCE_STATE + state for state in PASSING_INSTANCE_STATES),
)
# Internal errors are tried a few times, never until the deadline: Terraform leaves InternalError out of its retries
# ("retry won't fix anything") but for reads, the SDK's own retryer never retries it (README "Failure behaviour").
INTERNAL_CODES = ("InternalError", "InternalServerError")
INTERNAL_ERROR_ATTEMPTS = 5

# Each action's documented "the image is busy (being made, or a copy being made from it)" answers: done again once
# the image has settled (ImageService.when_settled), never retried blindly.
MODIFY_BUSY = ("InvalidImageId.IncorrectState",)  # ModifyImageAttribute and DeleteImages
SHARE_BUSY = ("InvalidParameterValue.InvalidImageState",)  # ModifyImageSharePermission
SYNC_BUSY = ("FailedOperation.InvalidImageState", "InvalidParameterValue.InvalidImageState", "InvalidImageId.IncorrectState")
IMAGE_BUSY_CODES = (*SYNC_BUSY,)  # SyncImages lists every one of them


def error_code(exc: BaseException) -> str | None:
    return exc.get_code() if isinstance(exc, TencentCloudSDKException) else None


def code_in(code: str | None, family: tuple[str, ...]) -> bool:
    return code is not None and any(code == name or code.startswith(name + ".") for name in family)


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: a transient code, unless an inner retry loop has given up on this very error."""
    return code_in(error_code(exc), TRANSIENT_CODES + INTERNAL_CODES) and not getattr(exc, "given_up", False)


class _InternalErrorsRunOut(stop_base):
    """Stop at the INTERNAL_ERROR_ATTEMPTS-th internal error, and mark it given up, so that an outer retry loop (around
    a call that retries on its own) does not multiply the attempts. One per `retrying`: it counts."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None else None
        if failure is None or not code_in(error_code(failure), INTERNAL_CODES):
            return False
        self.seen += 1
        if self.seen < INTERNAL_ERROR_ATTEMPTS:
            return False
        failure.given_up = True  # type: ignore[attr-defined]
        return True


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
    """Retry transient errors with full jitter until the next attempt would start after the deadline; internal errors
    INTERNAL_ERROR_ATTEMPTS times at most.

    Once cancelled, no attempt starts and a backoff sleep in progress ends at once, raising Cancelled.
    """
    return Retrying(
        retry=retry_if_exception(is_transient),
        wait=wait_random_exponential(multiplier=0.25, max=max_wait),
        stop=_InternalErrorsRunOut() | stop_before_delay(deadline.remaining()),
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
