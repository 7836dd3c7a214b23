"""StopInstances in today's era: StopType against an instance whose soft shutdown fails, ForceStop and StoppedMode,
and LatestOperationState as the cloud reports a stop (SUCCESS before STOPPED), on a clock the test moves."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from emulator import EmulatorConfig, EmulatorServer
from emulator.control import EmulatorControl
from tests.emulator.sdk import call

ErrorCode = Callable[[Callable[[], Any]], str]
RUNNING = "ins-emu00002"
TRANSITION = 10.0  # seconds of the emulator's clock, which the test moves: nothing sleeps


class Clock:
    """The emulator's clock: it stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Clocked:
    def __init__(self, server: EmulatorServer, clock: Clock) -> None:
        self.clock, self.control = clock, EmulatorControl(server.url)
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=server.endpoint))
        credential = Credential(server.backend.config.secret_id, server.backend.config.secret_key)
        self.client = CvmClient(credential, "ap-guangzhou", profile)

    def stop(self, instance_id: str = RUNNING, **fields: Any) -> str:
        """StopInstances at time 0; returns its RequestId."""
        return call(self.client, "StopInstances", InstanceIds=[instance_id], **fields).RequestId

    def instance(self, instance_id: str = RUNNING) -> Any:
        return call(self.client, "DescribeInstances", InstanceIds=[instance_id]).InstanceSet[0]

    def sequence(self, *seconds: float, instance_id: str = RUNNING) -> list[tuple[float, str, str]]:
        """(seconds after the call, InstanceState, LatestOperationState) at each of `seconds`."""
        start, seen = self.clock.now, []
        for second in seconds:
            self.clock.now = start + second
            instance = self.instance(instance_id)
            seen.append((second, instance.InstanceState, instance.LatestOperationState))
        return seen


@pytest.fixture(scope="module")
def clocked_server() -> Iterator[tuple[EmulatorServer, Clock]]:
    clock = Clock()
    with EmulatorServer(port=0, config=EmulatorConfig(instance_transition_seconds=TRANSITION)) as server:
        server.backend.clock = clock
        yield server, clock


@pytest.fixture
def clocked(clocked_server: tuple[EmulatorServer, Clock]) -> Clocked:
    server, clock = clocked_server
    server.reset()
    return Clocked(server, clock)


def test_soft_fails_on_a_soft_failing_instance_and_it_runs_again(clocked: Clocked) -> None:
    clocked.control.patch_instance(RUNNING, soft_shutdown_fails=True)
    request_id = clocked.stop(StopType="SOFT")
    assert clocked.sequence(0, 9.9, 10, 60) == [
        (0, "STOPPING", "OPERATING"), (9.9, "STOPPING", "OPERATING"), (10, "RUNNING", "FAILED"),
        (60, "RUNNING", "FAILED"),
    ]
    instance = clocked.instance()
    assert (instance.LatestOperation, instance.LatestOperationRequestId) == ("StopInstances", request_id)
    assert instance.LatestOperationErrorMsg  # says why; the API's own words are not recorded anywhere


def test_soft_is_the_default(clocked: Clocked) -> None:
    clocked.control.patch_instance(RUNNING, soft_shutdown_fails=True)
    clocked.stop()
    assert clocked.sequence(10)[0][1:] == ("RUNNING", "FAILED")


def test_soft_first_forces_the_shutdown_after_the_soft_one_fails(clocked: Clocked) -> None:
    clocked.control.patch_instance(RUNNING, soft_shutdown_fails=True)
    clocked.stop(StopType="SOFT_FIRST")
    assert clocked.sequence(0, 10, 14.9, 15, 19.9, 20) == [
        (0, "STOPPING", "OPERATING"), (10, "STOPPING", "OPERATING"), (14.9, "STOPPING", "OPERATING"),
        (15, "STOPPING", "SUCCESS"), (19.9, "STOPPING", "SUCCESS"), (20, "STOPPED", "SUCCESS"),
    ]
    assert clocked.instance().LatestOperationErrorMsg == ""


@pytest.mark.parametrize("soft_fails", [True, False])
def test_hard_forces_at_once(clocked: Clocked, soft_fails: bool) -> None:
    clocked.control.patch_instance(RUNNING, soft_shutdown_fails=soft_fails)
    clocked.stop(StopType="HARD")
    assert clocked.sequence(4.9, 5, 10) == [
        (4.9, "STOPPING", "OPERATING"), (5, "STOPPING", "SUCCESS"), (10, "STOPPED", "SUCCESS")]


@pytest.mark.parametrize("stop_type", ["SOFT", "SOFT_FIRST"])
def test_a_soft_shutdown_that_works_stops_in_one_step(clocked: Clocked, stop_type: str) -> None:
    clocked.stop(StopType=stop_type)
    assert clocked.sequence(4.9, 5, 10) == [
        (4.9, "STOPPING", "OPERATING"), (5, "STOPPING", "SUCCESS"), (10, "STOPPED", "SUCCESS")]


@pytest.mark.parametrize(("force", "ends"), [(True, "STOPPED"), (False, "RUNNING")])
def test_force_stop_alone_is_soft_first_or_soft(clocked: Clocked, force: bool, ends: str) -> None:
    clocked.control.patch_instance(RUNNING, soft_shutdown_fails=True)
    clocked.stop(ForceStop=force)
    assert clocked.sequence(20)[0][1] == ends


def test_stopped_mode_shows_while_stopped(clocked: Clocked) -> None:
    clocked.stop(StoppedMode="STOP_CHARGING")
    assert clocked.instance().StopChargingMode == "NOT_APPLICABLE"  # STOPPING, as recorded
    clocked.clock.now += TRANSITION
    assert clocked.instance().StopChargingMode == "STOP_CHARGING"
    call(clocked.client, "StartInstances", InstanceIds=[RUNNING])
    clocked.clock.now += TRANSITION
    clocked.stop()
    clocked.clock.now += TRANSITION
    assert clocked.instance().StopChargingMode == "KEEP_CHARGING"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ForceStop": True, "StopType": "SOFT"}, "InvalidParameterCombination"),
        ({"ForceStop": False, "StopType": "HARD"}, "InvalidParameterCombination"),
        ({"StopType": "GENTLE"}, "InvalidParameterValue"),
        ({"StoppedMode": "FREE"}, "InvalidParameterValue"),
    ],
)
def test_stop_parameter_refusals(clocked: Clocked, error_code: ErrorCode, fields: dict[str, Any], code: str) -> None:
    assert error_code(lambda: clocked.stop(**fields)) == code
    assert clocked.instance().InstanceState == "RUNNING"


def test_stop_charging_needs_cloud_disks(clocked: Clocked, error_code: ErrorCode) -> None:
    clocked.control.patch_instance(RUNNING, system_disk_type="LOCAL_SSD")
    assert error_code(lambda: clocked.stop(StoppedMode="STOP_CHARGING")) == (
        "UnsupportedOperation.StoppedModeStopCharging")
    clocked.stop(StoppedMode="KEEP_CHARGING")


def test_the_2018_era_stops_as_it_always_did(clocked: Clocked) -> None:
    clocked.control.set_config(api_era="2018")
    clocked.control.patch_instance(RUNNING, soft_shutdown_fails=True)
    clocked.stop(StopType="SOFT", ForceStop=False)  # no StopType semantics, no combination check
    assert clocked.sequence(5, 9.9, 10) == [
        (5, "STOPPING", "OPERATING"), (9.9, "STOPPING", "OPERATING"), (10, "STOPPED", "SUCCESS")]
