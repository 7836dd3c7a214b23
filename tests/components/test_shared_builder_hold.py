"""Two creates from one RUNNING builder share its stop and its start (operations/power.py): the first stops it, the
last starts it. Each records its hold on the instance (a tag) and counts it in the provider process; the count covers
the moment between joining the stop and the record landing, which the emulator's clock and a delayed TagResources
hold open here, so that the order of events is the test's, not the scheduler's."""

from tests.components.emulator_clock import HELD, emulator_clock  # noqa: F401 - a fixture
from tests.components.emulator_helpers import calls
from tests.components.host_helpers import eventually, run_in_thread

RUNNING = "ins-emu00002"
RECORD_DELAY = 10.0  # seconds the second create's record on the instance takes to land


def instance_state(emulator) -> str:
    return next(i["InstanceState"] for i in emulator.control.state()["instances"] if i["InstanceId"] == RUNNING)


def building(emulator, count: int) -> bool:
    return sum(image["ImageState"] == "CREATING" for image in emulator.control.state()["images"]) == count


def actions(emulator) -> list[str]:
    return [entry["action"] for entry in calls(emulator)]


def test_the_first_create_done_leaves_the_builder_stopped_for_the_second(provider, checked, emulator, emulator_clock):
    """The second create has joined the stop, but its record is still on its way when the first is done."""
    emulator.control.set_config(image_build_seconds=HELD, image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    first = run_in_thread(lambda: provider.create(checked(instance_id=RUNNING, image_name="first", reboot=True)))
    eventually(lambda: building(emulator, 1))  # the builder stopped for the first image, which builds until told
    emulator.control.set_config(image_build_seconds=0.5)  # the second image, made only after its record lands
    emulator.control.set_faults([{"action": "TagResources", "kind": "delay", "seconds": RECORD_DELAY, "count": 1}])
    second = run_in_thread(lambda: provider.create(checked(instance_id=RUNNING, image_name="second", reboot=True)))
    try:  # the second create joined the stop and its record is on its way (the delay fired): now the first finishes
        eventually(lambda: emulator.control.faults()["rules"][0]["count"] == 0, timeout=30)
    finally:
        emulator_clock.shift += HELD

    assert first(60)[1] is None
    assert "StartInstances" not in actions(emulator) and instance_state(emulator) == "STOPPED"
    assert second(60)[1] is None

    [record] = [r for r in calls(emulator, "TagResources") if r["fault"] == "delay"]
    assert record["params"]["ResourceList"][0].endswith(f":instance/{RUNNING}")
    assert [tag["TagValue"] for tag in record["params"]["Tags"]] == ["second"]
    sent = actions(emulator)
    assert sent.count("StopInstances") == 1 and sent.count("StartInstances") == 1
    assert sent.index("StartInstances") > max(i for i, action in enumerate(sent) if action == "CreateImage")
    eventually(lambda: instance_state(emulator) in ("STARTING", "RUNNING"))
