"""A RUNNING builder with `reboot: false` may not be stopped for its image, whatever else is set: force_poweroff says
how to stop an instance the provider may stop, not that it may."""

import pytest

from components.cloud.errors import CvmImageError
from tests.components.emulator_helpers import calls, today_without_lags

RUNNING = "ins-emu00002"


def instance_state(emulator, instance_id: str) -> str:
    return next(i["InstanceState"] for i in emulator.control.state()["instances"] if i["InstanceId"] == instance_id)


def test_reboot_false_refuses_a_running_builder_even_with_force_poweroff(provider, checked, emulator):
    today_without_lags(emulator)

    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=RUNNING, image_name="api-base", reboot=False, force_poweroff=True))

    message = str(raised.value)
    assert message.startswith(
        f"CreateImage for image 'api-base' in ap-guangzhou was not sent: instance {RUNNING} is RUNNING and reboot is false"
    )
    assert calls(emulator, "StopInstances") == [] and calls(emulator, "CreateImage") == []
    assert instance_state(emulator, RUNNING) == "RUNNING"
