"""Launch templates and launch configurations in the control API's view of the state, kept in a state file across a
restart, and gone after a reset."""

from pathlib import Path
from typing import Any

from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from emulator import EmulatorConfig
from emulator.backend import CvmBackend
from emulator.launch_configurations import ConfigurationRequest
from emulator.launch_templates import VersionDraft

CONFIG = {"LaunchConfigurationName": "web", "ImageId": "img-9id7emv7", "InstanceType": "S5.SMALL1"}
TEMPLATE = {"LaunchTemplateName": "web", "Placement": {"Zone": "ap-guangzhou-3"}, "ImageId": "img-9id7emv7"}


def test_launch_templates_and_configurations_are_in_the_state_and_go_with_a_reset(
    emulator: Any, cvm_client: CvmClient, as_client: AutoscalingClient
) -> None:
    template_id = cvm_client.call_json("CreateLaunchTemplate", TEMPLATE)["Response"]["LaunchTemplateId"]
    config_id = as_client.call_json("CreateLaunchConfiguration", CONFIG)["Response"]["LaunchConfigurationId"]
    state = emulator.control.state()
    [template] = state["launch_templates"]
    assert (template["LaunchTemplateId"], template["Region"], template["DefaultVersionNumber"]) == (
        template_id, "ap-guangzhou", 1)
    assert [v["LaunchTemplateVersionData"]["ImageId"] for v in template["Versions"]] == ["img-9id7emv7"]
    [config] = state["launch_configurations"]
    assert (config["LaunchConfigurationId"], config["Region"], config["ImageId"]) == (
        config_id, "ap-guangzhou", "img-9id7emv7")
    emulator.control.reset()
    state = emulator.control.state()
    assert (state["launch_templates"], state["launch_configurations"]) == ([], [])


def test_launch_templates_and_configurations_survive_a_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(state_path=str(tmp_path / "state.json"))
    backend = CvmBackend(config)
    with backend.transaction():
        draft = VersionDraft({"Placement": {"Zone": "ap-tokyo-1"}, "ImageId": "img-487zeit5"}, "first")
        template = backend.create_launch_template("ap-tokyo", "web", draft)
    with backend.transaction():
        version = VersionDraft({"Placement": {"Zone": "ap-tokyo-2"}, "InstanceType": "S5.SMALL1"})
        backend.create_launch_template_version("ap-tokyo", template.template_id, None, version)
    with backend.transaction():
        request = ConfigurationRequest("web", "img-487zeit5", "", ["S5.SMALL1"], {"UserData": "ZWNobw=="}, [])
        launch_config = backend.create_launch_configuration("ap-tokyo", request)
    reloaded = CvmBackend(config).regions["ap-tokyo"]
    assert reloaded.launch_templates[template.template_id] == template
    assert [v.data["ImageId"] for v in reloaded.launch_templates[template.template_id].versions] == [
        "img-487zeit5", "img-487zeit5"]
    assert reloaded.launch_configurations[launch_config.config_id] == launch_config
