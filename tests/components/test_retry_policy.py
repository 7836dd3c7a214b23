"""The one retry policy, measured on the wire: backoff, the deadline kept, busy instances waited out; and its jitter,
on the waits it draws.

Counts and gaps come from the emulator's request log. Each test has a short timeout of its own: a retry loop that
ignores the deadline fails here in seconds instead of hanging the suite.
"""

import random
import time
from datetime import datetime

import pytest
from tenacity import RetryCallState

from components.cloud.errors import CvmImageError
from components.cloud.retry import INTERNAL_ERROR_ATTEMPTS, Deadline, retrying
from tests.components.conftest import configured_provider, images_in
from tests.components.emulator_helpers import STOPPED, calls, detail_of, later, today_without_lags

THREE_SECONDS = 0.05  # wait_timeout_minutes
# Backoff 0.25 s * 2^n with full jitter. A CreateImage retry first looks the name up (DescribeImages under a retry
# policy of its own, whose backoff starts small again), so 3 s of permanent throttling cost 6 to 12 calls, 9 or 10
# typically; a simulation of the policy (200,000 runs) put 99.99% of runs at 19 or fewer and none above 20. Without
# backoff: hundreds.
MAX_CALLS_IN_THREE_SECONDS = 25


def short_create(emulator, **inputs):
    provider = configured_provider(emulator)
    checked = provider.check({}, {"instance_id": STOPPED, "image_name": "web-base", "wait_timeout_minutes": THREE_SECONDS, **inputs})
    assert not checked.failures
    return provider, checked.inputs


def gaps(entries: list[dict]) -> list[float]:
    """Seconds between consecutive logged requests."""
    times = [datetime.fromisoformat(entry["time"]).timestamp() for entry in entries]
    return [after - before for before, after in zip(times, times[1:])]


@pytest.mark.timeout(30)
def test_permanent_throttling_is_backed_off_and_stops_at_the_deadline(emulator):
    today_without_lags(emulator)
    provider, inputs = short_create(emulator)
    emulator.control.set_faults([{"action": "*", "kind": "throttle"}])

    started = time.monotonic()
    with pytest.raises(CvmImageError) as raised:
        provider.create(inputs)
    elapsed = time.monotonic() - started

    sent = calls(emulator)
    print(f"{len(sent)} calls in {elapsed:.2f} s, gaps {[round(gap, 3) for gap in gaps(sent)]}")
    assert 3 <= len(sent) <= MAX_CALLS_IN_THREE_SECONDS
    assert all(entry["fault"] == "throttle" for entry in sent)  # every call met the fault
    assert elapsed < 3 + 5  # the deadline, plus the last attempt's round trip and a loaded machine's slack
    assert "failed with RequestLimitExceeded: the API kept throttling requests until the deadline" in str(raised.value)
    emulator.control.clear_faults()
    assert images_in(emulator) == []


DRAWS = 2000


def drawn_waits(seed: int, attempt: int) -> list[float]:
    """DRAWS waits the retry policy would sleep after failed attempt `attempt`, drawn from Python's random (which
    tenacity draws from) seeded with `seed`: the same numbers on every run."""
    policy = retrying(Deadline.after(60))
    state = RetryCallState(policy, None, (), {})
    state.attempt_number = attempt
    saved = random.getstate()
    random.seed(seed)
    try:
        return [policy.wait(state) for _ in range(DRAWS)]
    finally:
        random.setstate(saved)


@pytest.mark.parametrize("attempt", range(1, 11))
def test_the_backoff_is_jittered_two_runs_wait_differently(attempt):
    """Full jitter: each wait is drawn anew from [0, 0.25 s * 2^(n-1)] (at most 20 s), so two clients throttled the
    same way do not retry in lockstep."""
    window = min(20.0, 0.25 * 2 ** (attempt - 1))
    first, second = drawn_waits(1, attempt), drawn_waits(2, attempt)

    assert first != second
    for waits in (first, second):
        assert all(0 <= wait <= window for wait in waits)
        assert min(waits) < 0.05 * window and max(waits) > 0.95 * window  # the whole window, not one point of it
        assert len(set(waits)) == DRAWS


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("PENDING", "OperationDenied.InstanceOperationInProgress"),  # an instance still launching
        ("STOPPING", "UnsupportedOperation.InstanceStateStopping"),  # today's answer for an instance in transition
        ("STARTING", "UnsupportedOperation.InstanceStateStarting"),
        ("SERVICE_LIVE_MIGRATE", "UnsupportedOperation.InstanceStateServiceLiveMigrate"),  # the platform moves it
        ("EXIT_RESCUE_MODE", "UnsupportedOperation.InstanceStateExitRescueMode"),
    ],
)
def test_an_instance_busy_or_in_transition_is_waited_out(emulator, checked, state, code):
    """The instance-busy codes are retried until the instance can be imaged."""
    today_without_lags(emulator)
    emulator.control.patch_instance(STOPPED, InstanceState=state)
    timer = later(1.5, lambda: emulator.control.patch_instance(STOPPED, InstanceState="STOPPED"))
    try:
        result = configured_provider(emulator).create(checked(instance_id=STOPPED, image_name="web-base"))
    finally:
        timer.cancel()

    errors = [entry["error"] for entry in calls(emulator, "CreateImage")]
    assert errors[0] == code
    assert errors[-1] is None and set(errors[:-1]) == {code}
    assert result.outs["image_state"] == "NORMAL"
    assert [image["ImageId"] for image in images_in(emulator)] == [result.id]


@pytest.mark.timeout(30)
def test_an_instance_that_stays_busy_is_retried_then_explained(emulator):
    today_without_lags(emulator)
    emulator.control.patch_instance(STOPPED, InstanceState="PENDING")
    provider, inputs = short_create(emulator)

    with pytest.raises(CvmImageError) as raised:
        provider.create(inputs)

    assert len(calls(emulator, "CreateImage")) >= 2  # retried, not given up at once
    message = str(raised.value)
    assert message.startswith("CreateImage for image 'web-base' in ap-guangzhou failed with OperationDenied.InstanceOperationInProgress: ")
    assert f"instance {STOPPED} is busy with another operation" in detail_of(message, "OperationDenied.InstanceOperationInProgress")
    assert images_in(emulator) == []


@pytest.mark.timeout(30)
def test_an_image_task_running_on_the_instance_is_waited_out(emulator, checked, cvm_client):
    """MutexOperation.TaskRunning (another image of the same instance still CREATING) is retried until it is done."""
    today_without_lags(emulator, image_build_seconds=1.5)
    first = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "first"})["Response"]["ImageId"]

    result = configured_provider(emulator).create(checked(instance_id=STOPPED, image_name="second"))

    errors = [entry["error"] for entry in calls(emulator, "CreateImage")][1:]  # after the test's own CreateImage
    assert errors[0] == "MutexOperation.TaskRunning" and errors[-1] is None
    assert {image["ImageId"]: image["ImageState"] for image in images_in(emulator)} == {first: "NORMAL", result.id: "NORMAL"}


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("state", "code", "fix"),
    [
        ("TERMINATING", "UnsupportedOperation.InstanceStateTerminating", "will never be imaged. Point instance_id at a live instance"),
        ("RESCUE_MODE", "UnsupportedOperation.InstanceStateRescueMode", "Exit rescue mode (console, or ExitRescueMode)"),
        ("ENTER_RESCUE_MODE", "UnsupportedOperation.InstanceStateEnterRescueMode", "leaves only when someone exits it"),
    ],
)
def test_an_instance_state_that_never_ends_well_fails_at_once_naming_it(emulator, checked, state, code, fix):
    """Retried until wait_timeout_minutes (60) before: a terminating instance never comes back, rescue mode lasts
    until someone exits it."""
    today_without_lags(emulator)
    emulator.control.patch_instance(STOPPED, InstanceState=state)

    started = time.monotonic()
    with pytest.raises(CvmImageError) as raised:
        configured_provider(emulator).create(checked(instance_id=STOPPED, image_name="web-base"))

    assert time.monotonic() - started < 5
    assert [entry["error"] for entry in calls(emulator, "CreateImage")] == [code]
    detail = detail_of(str(raised.value), code)
    assert detail.startswith(f"instance {STOPPED} is {state}: ") and fix in detail and "then run `pulumi up` again" in detail


@pytest.mark.timeout(30)
def test_an_internal_error_is_tried_a_few_times_not_until_the_deadline(emulator):
    """Terraform does not retry InternalError on writes ("retry won't fix anything") and the SDK's retryer never
    does: a lasting one is reported within seconds, not after wait_timeout_minutes (60 here)."""
    today_without_lags(emulator)
    provider, inputs = short_create(emulator, wait_timeout_minutes=60)
    emulator.control.set_faults([{"action": "*", "kind": "internal_error"}])

    started = time.monotonic()
    with pytest.raises(CvmImageError) as raised:
        provider.create(inputs)
    elapsed = time.monotonic() - started

    first = calls(emulator)[:INTERNAL_ERROR_ATTEMPTS]
    assert [entry["action"] for entry in first] == ["DescribeInstances"] * INTERNAL_ERROR_ATTEMPTS
    # those, then one look for an earlier run's record on the builder: never attempts of nested loops multiplied
    assert len(calls(emulator)) == INTERNAL_ERROR_ATTEMPTS + 1 and elapsed < 10
    detail = detail_of(str(raised.value), "InternalError")
    assert f"tried up to {INTERNAL_ERROR_ATTEMPTS} times" in detail and "give Tencent Cloud support the RequestId" in detail
    emulator.control.clear_faults()
    assert images_in(emulator) == []
