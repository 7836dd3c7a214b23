"""wait_for_poweroff: a builder is imaged once it has powered itself off, and is left stopped."""

import time
from datetime import datetime

import pytest

from components.cloud.errors import CvmImageError
from tests.components.conftest import images_in
from tests.components.emulator_helpers import calls, later

RUNNING = "ins-emu00002"  # seeded RUNNING instance: a builder still provisioning
POWER_ACTIONS = ("StopInstances", "StartInstances")


def state_of(emulator, instance_id: str) -> str:
    return next(i["InstanceState"] for i in emulator.control.state()["instances"] if i["InstanceId"] == instance_id)


def guest_powers_off(emulator, instance_id: str) -> None:
    """What `shutdown -h now` at the end of the user data does: the instance stops, with no API call."""
    emulator.control.patch_instance(instance_id, InstanceState="STOPPED")


def test_a_builder_is_imaged_once_it_powers_itself_off_and_left_stopped(provider, checked, emulator):
    timer = later(2.0, lambda: guest_powers_off(emulator, RUNNING))
    try:
        result = provider.create(checked(instance_id=RUNNING, image_name="built", wait_for_poweroff=True))
    finally:
        timer.cancel()

    assert result.outs["image_state"] == "NORMAL" and result.outs["wait_for_poweroff"] is True
    [image] = images_in(emulator)
    assert image["ImageId"] == result.id
    [create] = calls(emulator, "CreateImage")
    polls = [datetime.fromisoformat(r["time"]) for r in calls(emulator, "DescribeInstances")]
    assert len(polls) >= 2 and datetime.fromisoformat(create["time"]) > polls[-1]  # waited, then imaged
    assert "ForcePoweroff" not in create["params"]
    time.sleep(0.5)  # time enough for a start the provider might have asked for
    assert state_of(emulator, RUNNING) == "STOPPED"
    assert [r["action"] for r in calls(emulator) if r["action"] in POWER_ACTIONS] == []


def test_a_builder_that_never_powers_off_fails_at_the_deadline_naming_it(provider, checked, emulator):
    started = time.monotonic()
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=RUNNING, image_name="never", wait_for_poweroff=True, wait_timeout_minutes=0.05))

    assert 2.5 < time.monotonic() - started < 10
    message = str(raised.value)
    assert f"Builder instance {RUNNING} was still RUNNING when wait_timeout_minutes ran out" in message
    assert "image 'never'" in message and "was not made" in message and "shutdown -h now" in message
    assert "Traceback" not in message
    assert images_in(emulator) == [] and calls(emulator, "CreateImage") == []
    assert [r["action"] for r in calls(emulator) if r["action"] in POWER_ACTIONS] == []
    assert state_of(emulator, RUNNING) == "RUNNING"


SHORT_WAIT = 0.25  # wait_timeout_minutes: 15 s, so a builder wrongly waited for fails here, not at pytest's timeout


def test_a_builder_that_failed_to_launch_fails_at_once(provider, checked, emulator):
    emulator.control.patch_instance(RUNNING, InstanceState="LAUNCH_FAILED")
    started = time.monotonic()
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=RUNNING, image_name="dead", wait_for_poweroff=True, wait_timeout_minutes=SHORT_WAIT))

    assert time.monotonic() - started < 10
    assert f"Builder instance {RUNNING} is LAUNCH_FAILED: it will never power itself off" in str(raised.value)
    assert calls(emulator, "CreateImage") == []


@pytest.mark.parametrize("state", ["SHUTDOWN", "TERMINATING"])
def test_a_builder_that_can_never_power_off_fails_at_once(provider, checked, emulator, state):
    """A builder stopped to be destroyed (SHUTDOWN) or being destroyed (TERMINATING) is not waited for."""
    emulator.control.patch_instance(RUNNING, InstanceState=state)
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=RUNNING, image_name="dead", wait_for_poweroff=True, wait_timeout_minutes=SHORT_WAIT))

    message = str(raised.value)
    assert f"Builder instance {RUNNING} is {state}: it will never power itself off" in message
    assert "Replace the builder" in message and calls(emulator, "CreateImage") == []


def test_a_missing_builder_fails_at_once(provider, checked, emulator):
    missing = "ins-zzzz9999"
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=missing, image_name="dead", wait_for_poweroff=True, wait_timeout_minutes=SHORT_WAIT))

    assert f"Builder instance {missing} is not found: it will never power itself off" in str(raised.value)
    assert calls(emulator, "CreateImage") == []


@pytest.mark.parametrize("conflict", [{"live_image": True}, {"reboot": True}, {"force_poweroff": "true"}])
def test_wait_for_poweroff_conflicts_with_stopping_or_live_imaging(provider, conflict):
    props = {"instance_id": RUNNING, "image_name": "x", "wait_for_poweroff": True, **conflict}
    [failure] = provider.check({}, props).failures
    assert failure.property == "wait_for_poweroff"
    assert "cannot be combined with live_image, reboot or force_poweroff" in failure.reason


def test_wait_for_poweroff_allows_reboot_false(provider):
    result = provider.check({}, {"instance_id": RUNNING, "image_name": "x", "wait_for_poweroff": "TRUE", "reboot": False})
    assert result.failures == [] and result.inputs["wait_for_poweroff"] is True


def test_a_denied_describe_instances_is_explained_without_a_traceback(provider, checked, emulator):
    emulator.control.deny("DescribeInstances")
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=RUNNING, image_name="denied", wait_for_poweroff=True, wait_timeout_minutes=0.05))
    assert "failed with AuthFailure.UnauthorizedOperation: a CAM policy denies DescribeInstances" in str(raised.value)
