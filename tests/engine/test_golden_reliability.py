"""An image with two copies and two shares, through the real provider server under the fault mix: up converges with
nothing orphaned, destroy leaves no copy and no share."""

import pytest

from components import CvmImageProvider
from emulator.control import EmulatorControl
from tests.engine.engine import Goal
from tests.engine.test_stack_reliability import TRANSIENT_FAILURES, cloud, converge, engine, faults_fired  # noqa: F401 - fixtures
from tests.fault_mix import FAULT_MIX

COPY_REGIONS = ["ap-shanghai", "ap-beijing"]
ACCOUNTS = ["100000000002", "100000000003"]
# SyncImages and a SHARE made but their answers lost, on top of the usual mix.
GOLDEN_FAULTS = [
    {"action": "SyncImages", "kind": "lose_response", "count": 1},
    {"action": "ModifyImageSharePermission", "kind": "lose_response", "count": 1},
    *FAULT_MIX,
]


@pytest.mark.timeout(420)
def test_two_copies_and_two_shares_converge_under_the_fault_mix_and_destroy_leaves_nothing(cloud, engine):  # noqa: F811
    control = EmulatorControl(cloud.url)
    inputs = {
        "instance_id": "ins-emu00001", "image_name": "mix-gold", "copy_to_regions": COPY_REGIONS,
        "share_with_accounts": ACCOUNTS, "share_copies": True, "image_family": "mix",
    }
    control.set_faults(GOLDEN_FAULTS)
    first_errors = converge(engine.up, [Goal("gold", inputs, CvmImageProvider())])
    fired = faults_fired(control)
    control.clear_faults()

    [state] = engine.state.values()
    images = {image["ImageId"]: image for image in control.state()["images"]}
    assert sorted(images) == sorted([state.id, *state.outputs["copies"].values()])  # no orphan, no duplicate
    assert sorted(state.outputs["copies"]) == sorted(COPY_REGIONS)
    for image in images.values():
        assert (image["ImageName"], image["ImageState"], sorted(image["SharedWith"])) == ("mix-gold", "NORMAL", ACCOUNTS)
    assert [error for error in first_errors if not TRANSIENT_FAILURES.search(error)] == []
    assert fired["lose_response"] >= 2

    control.set_faults(FAULT_MIX)
    first_errors = converge(engine.destroy)
    control.clear_faults()
    assert control.state()["images"] == []
    assert engine.state == {}
    assert [error for error in first_errors if not TRANSIENT_FAILURES.search(error)] == []
