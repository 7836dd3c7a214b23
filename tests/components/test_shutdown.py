"""The seed's shutdown on today's API (issue 20): a running builder is stopped with a soft shutdown only (StopType
SOFT), and when that fails the task ends, no image made and the builder left running; force_poweroff forces a failed
soft shutdown (SOFT_FIRST), never a power-off without a soft try (HARD). Through the provider against the emulator,
which shows a failed soft stop as the cloud does: RUNNING again, LatestOperationState FAILED for the stop's RequestId.
"""

import time
from typing import Any

import pytest

from components.cloud.errors import CvmImageError, ImageRef
from components.cloud.refusals import stop_failed
from components.operations.power import STOPPED_FOR_TAG_PREFIX
from tests.components.conftest import images_in
from tests.components.emulator_helpers import calls, today_without_lags
from tests.components.host_helpers import RUNNING, eventually, run_in_thread

TRANSITION_SECONDS = 1.0  # each instance step: the failed soft stop is STOPPING this long, then RUNNING again
FAILED_FAST_SECONDS = 10.0  # the failure is reported within a poll or two, not at wait_timeout_minutes

pytestmark = pytest.mark.timeout(90)


def instance(emulator: Any) -> dict[str, Any]:
    return next(i for i in emulator.control.state()["instances"] if i["InstanceId"] == RUNNING)


def records(emulator: Any) -> list[str]:
    return [tag["Key"] for tag in instance(emulator)["Tags"] if tag["Key"].startswith(STOPPED_FOR_TAG_PREFIX)]


def stop_types(emulator: Any) -> list[str]:
    return [entry["params"]["StopType"] for entry in calls(emulator, "StopInstances")]


@pytest.fixture
def soft_shutdown_fails(emulator: Any) -> None:
    today_without_lags(emulator, instance_transition_seconds=TRANSITION_SECONDS)
    emulator.control.patch_instance(RUNNING, soft_shutdown_fails=True)


def test_a_failed_soft_shutdown_ends_the_create_with_no_image_and_the_builder_running(soft_shutdown_fails, provider, checked, emulator):
    inputs = checked(instance_id=RUNNING, image_name="api-base", wait_timeout_minutes=1)

    started = time.monotonic()
    with pytest.raises(CvmImageError) as raised:
        provider.create(inputs)
    elapsed = time.monotonic() - started

    message = str(raised.value)
    assert elapsed < FAILED_FAST_SECONDS, f"{elapsed:.1f} s: {message}"
    assert message.startswith("CreateImage for image 'api-base' in ap-guangzhou was not sent: the soft shutdown of ")
    for fragment in (f"instance {RUNNING} failed", "it is RUNNING again", "No image was made", "force_poweroff: true"):
        assert fragment in message
    assert stop_types(emulator) == ["SOFT"]
    assert calls(emulator, "CreateImage") == [] and images_in(emulator) == []
    assert calls(emulator, "StartInstances") == []  # it never stopped: nothing to start, nothing said about a start
    assert "started again" not in message
    assert instance(emulator)["InstanceState"] == "RUNNING" and records(emulator) == []


def test_two_creates_sharing_a_builder_whose_soft_shutdown_fails_both_end(soft_shutdown_fails, provider, checked, emulator):
    first = run_in_thread(lambda: provider.create(checked(instance_id=RUNNING, image_name="a", wait_timeout_minutes=1)))
    second = run_in_thread(lambda: provider.create(checked(instance_id=RUNNING, image_name="b", wait_timeout_minutes=1)))

    for join in (first, second):
        _, error = join(FAILED_FAST_SECONDS + 5)
        assert isinstance(error, CvmImageError) and "force_poweroff: true" in str(error)
    assert stop_types(emulator) == ["SOFT"]  # one stop for both
    assert calls(emulator, "CreateImage") == [] and calls(emulator, "StartInstances") == []
    assert instance(emulator)["InstanceState"] == "RUNNING" and records(emulator) == []


def test_force_poweroff_forces_a_failed_soft_shutdown_and_the_builder_runs_again(soft_shutdown_fails, provider, checked, emulator):
    result = provider.create(checked(instance_id=RUNNING, image_name="api-base", force_poweroff=True))

    assert result.outs["image_state"] == "NORMAL" and [image["ImageId"] for image in images_in(emulator)] == [result.id]
    assert stop_types(emulator) == ["SOFT_FIRST"]
    assert [entry["error"] for entry in calls(emulator, "CreateImage")] == [None]
    eventually(lambda: instance(emulator)["InstanceState"] == "RUNNING", timeout=3 * TRANSITION_SECONDS + 2)
    assert records(emulator) == []


def test_the_image_is_made_once_the_builder_is_stopped_not_when_its_stop_reports_success(provider, checked, emulator):
    """The cloud reports LatestOperationState SUCCESS while the instance is still STOPPING (a recorded stop), as the
    emulator does for the second half of the step: CreateImage then would be refused (InstanceStateStopping)."""
    today_without_lags(emulator, instance_transition_seconds=TRANSITION_SECONDS)

    provider.create(checked(instance_id=RUNNING, image_name="api-base"))

    assert stop_types(emulator) == ["SOFT"]
    assert [entry["error"] for entry in calls(emulator, "CreateImage")] == [None]


def test_a_forced_stop_that_fails_too_does_not_ask_for_force_poweroff():
    """SOFT_FIRST can fail as well (the emulator's never does): the message then names the stop type sent."""
    ref = ImageRef(image_name="api-base", region="ap-guangzhou", instance_id=RUNNING)

    message = str(stop_failed(RUNNING, ref, "RUNNING", True, "The instance did not respond."))

    assert f"the stop of instance {RUNNING} failed (the cloud says: The instance did not respond)" in message
    assert "StopType SOFT_FIRST" in message and "force_poweroff" not in message and "No image was made" in message
