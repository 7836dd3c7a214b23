"""The engine's Cancel (the first Ctrl-C): every wait stops within moments and the operation says what it left.

The poller and the retry policy are tested with a Cancellation of their own; the provider through the stock host,
which gets the engine's Cancel over gRPC as under the CLI.
"""

import threading
import time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from components.cloud.cancel import Cancellation, Cancelled
from components.cloud.client import CvmApi
from components.waiting.poller import ImagePoller, WaitCancelled
from components.cloud.retry import Deadline, retrying
from components.cloud.settings import resolve_settings
from tests.components.host_helpers import STOPPED, cvm_host, eventually, image_inputs, image_urn, run_in_thread, warm_up
from tests.engine.cvm_stack import actions, emulator_config, images
from tests.engine.host import ProviderError

BUILT = lambda image: image is not None and image["ImageState"] != "CREATING"  # noqa: E731 - seen, and done
PROMPTLY = 3.0  # seconds from Cancel to the operation's end, on a loaded 2-core machine
LONG_SLEEP = 10.0  # a backoff sleep this long, cut short by a Cancel, ends well within PROMPTLY: proof it was cut


def cancel_after(cancellation: Cancellation, seconds: float) -> list[float]:
    """Throw the switch from another thread after `seconds`; the list gets the moment it was thrown."""
    thrown: list[float] = []

    def throw() -> None:
        thrown.append(time.monotonic())
        cancellation.cancel()

    threading.Timer(seconds, throw).start()
    return thrown


def test_a_backoff_sleep_ends_as_soon_as_the_update_is_cancelled() -> None:
    cancellation = Cancellation()
    policy = retrying(Deadline.after(60), cancellation=cancellation)
    thrown = cancel_after(cancellation, 0.2)

    with pytest.raises(Cancelled):
        policy.sleep(20)

    assert time.monotonic() - thrown[0] < PROMPTLY


class LongSleepsOnly(Cancellation):
    """The retry policy's sleeps, recorded as (seconds asked, seconds slept). A sleep shorter than LONG_SLEEP returns
    at once (only the long one matters here); the first long one sets `sleeping` and really sleeps."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[tuple[float, float]] = []
        self.sleeping = threading.Event()

    def sleep(self, seconds: float) -> None:
        if seconds < LONG_SLEEP:
            self.sleeps.append((seconds, 0.0))
            return
        started = time.monotonic()
        self.sleeping.set()
        try:
            super().sleep(seconds)
        finally:
            self.sleeps.append((seconds, time.monotonic() - started))


def always_throttled() -> None:
    raise TencentCloudSDKException("RequestLimitExceeded", "slow down", "req-1")


def test_a_retried_call_in_backoff_stops_sleeping_at_the_cancel() -> None:
    """Full jitter draws most sleeps shorter than PROMPTLY, and a short sleep ends by itself: this cancels during a
    sleep of LONG_SLEEP or more, so only a sleep that the Cancel cut short can end in time."""
    cancellation = LongSleepsOnly()
    join = run_in_thread(lambda: retrying(Deadline.after(600), cancellation=cancellation)(always_throttled))
    assert cancellation.sleeping.wait(30), "no backoff of LONG_SLEEP s or more in 30 s"

    cancellation.cancel()
    seconds, error = join(30)

    asked, slept = cancellation.sleeps[-1]
    assert isinstance(error, Cancelled)
    assert asked >= LONG_SLEEP and slept < PROMPTLY and seconds < PROMPTLY


def test_no_attempt_starts_once_the_update_is_cancelled() -> None:
    cancellation = Cancellation()
    cancellation.cancel()
    attempts: list[str] = []

    with pytest.raises(Cancelled):
        retrying(Deadline.after(60), cancellation=cancellation)(attempts.append, "CreateImage")

    assert attempts == []


def test_a_poller_wait_ends_as_soon_as_the_update_is_cancelled(emulator, cvm_client) -> None:
    emulator.control.set_config(image_build_seconds=60)
    image_id = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "web-base"})["Response"]["ImageId"]
    cancellation = Cancellation()
    poller = ImagePoller(CvmApi(resolve_settings(emulator_config(emulator))), cancellation=cancellation)
    thrown = cancel_after(cancellation, 2.0)  # polled by then, even where a new image is not listed for a second

    with pytest.raises(WaitCancelled) as stopped:
        poller.wait(image_id, BUILT, Deadline.after(20))

    assert time.monotonic() - thrown[0] < PROMPTLY
    assert stopped.value.resource_id == image_id and stopped.value.last["ImageState"] == "CREATING"
    with pytest.raises(WaitCancelled):  # a wait that starts afterwards ends at once
        poller.wait(image_id, BUILT, Deadline.after(20))


def after_create(sent: list[str]) -> list[str]:
    return sent[sent.index("CreateImage") + 1 :] if "CreateImage" in sent else []


def test_cancel_ends_a_create_waiting_for_its_image_and_says_the_next_up_adopts_it(emulator) -> None:
    emulator.control.set_config(image_build_seconds=60, image_visibility_lag_seconds=0)  # visible, and CREATING
    with cvm_host(emulator) as host:
        join = run_in_thread(lambda: host.create(image_urn("web-image"), image_inputs(STOPPED, "web-base")))
        eventually(lambda: "DescribeImages" in after_create(actions(emulator.control)))  # CreateImage accepted, waiting
        host.cancel()
        seconds, error = join(30)

    [image_id] = images(emulator.control)
    assert seconds < PROMPTLY
    assert isinstance(error, ProviderError)
    assert error.details == (
        f"Cancelled while waiting for image 'web-base' ({image_id}) in ap-guangzhou: it was left CREATING. "
        "The next `pulumi up` adopts it and waits again."
    )


def test_cancel_ends_a_create_in_retry_backoff(emulator) -> None:
    """Through the host: the create in backoff ends, with no attempt after the Cancel but the one under way. Its
    sleep is a draw from [0, 4 s] or more and may end by itself (test_a_retried_call_in_backoff_stops_sleeping_at_the_cancel
    shows that one is cut short)."""
    emulator.control.set_faults([{"action": "CreateImage", "kind": "throttle"}])
    with cvm_host(emulator) as host:
        join = run_in_thread(lambda: host.create(image_urn("web-image"), image_inputs(STOPPED, "web-base")))
        eventually(lambda: actions(emulator.control).count("CreateImage") >= 5, timeout=30)
        attempts = actions(emulator.control).count("CreateImage")
        host.cancel()
        seconds, error = join(60)

    assert seconds < PROMPTLY
    assert actions(emulator.control).count("CreateImage") <= attempts + 1
    assert isinstance(error, ProviderError)
    assert error.details == (
        "Cancelled during CreateImage for image 'web-base' in ap-guangzhou. "
        "The next `pulumi up` creates the image, or adopts it if this attempt made it."
    )


def test_operations_that_start_after_cancel_fail_at_once_without_an_api_call(emulator, cvm_client) -> None:
    existing = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "old"})["Response"]["ImageId"]
    with cvm_host(emulator) as host:
        warm_up(host)
        host.cancel()
        emulator.control.clear_requests()
        started = time.monotonic()
        with pytest.raises(ProviderError) as create:
            host.create(image_urn("web-image"), image_inputs(STOPPED, "web-base"))
        with pytest.raises(ProviderError) as delete:
            host.delete(image_urn("old-image"), existing, image_inputs(STOPPED, "old"), image_inputs(STOPPED, "old"))
        seconds = time.monotonic() - started

    assert seconds < PROMPTLY
    assert actions(emulator.control) == []
    assert create.value.details.startswith("Cancelled during CreateImage for image 'web-base' in ap-guangzhou.")
    assert delete.value.details == (
        f"Cancelled during DeleteImages for image 'old' ({existing}) in ap-guangzhou. "
        "It stays in the stack: the next `pulumi destroy` (or `pulumi up`) deletes it."
    )
