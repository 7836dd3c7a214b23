"""`python -m emulator` as a process: the URL line, and a --state file that survives a restart."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from emulator.control import EmulatorControl

REPO = Path(__file__).resolve().parents[2]
REBOOTED = {"InstanceId": "ins-emu00001", "ImageName": "r", "Reboot": "true"}


@contextmanager
def _emulator_process(*flags: str) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", *flags],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


def _client(url: str) -> CvmClient:
    endpoint = url.removeprefix("http://")
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint))
    return CvmClient(Credential("AKIDEMULATOR00000000", "emulator-secret-key"), "ap-guangzhou", profile)


def test_first_stdout_line_is_the_url_and_it_serves() -> None:
    with _emulator_process("--image-quota", "7", "--no-image-id") as url:
        assert url.startswith("http://127.0.0.1:") and url != "http://127.0.0.1:0"
        client = _client(url)
        assert client.DescribeImageQuota(models.DescribeImageQuotaRequest()).ImageNumQuota == 7
        answer = client.call_json("CreateImage", {"InstanceId": "ins-emu00001", "ImageName": "seed-mode"})
        assert set(answer["Response"]) == {"RequestId"}


def test_state_file_survives_a_restart(tmp_path: Path, wait_until: Callable[..., Any]) -> None:
    state = tmp_path / "state" / "cvm.json"
    flags = ("--state", str(state), "--image-build-seconds", "0.5")
    with _emulator_process(*flags) as url:
        image_id = _client(url).call_json("CreateImage", {"InstanceId": "ins-emu00001", "ImageName": "kept"})[
            "Response"]["ImageId"]
        EmulatorControl(url).patch_instance("ins-emu00003", InstanceName="renamed")
    assert state.exists() and not list(state.parent.glob("*.tmp"))
    with _emulator_process(*flags) as url:
        control = EmulatorControl(url)
        images = control.state()["images"]
        assert [(image["ImageId"], image["ImageName"]) for image in images] == [(image_id, "kept")]
        assert wait_until(lambda: control.state()["images"][0]["ImageState"] == "NORMAL", timeout=3)
        names = {i["InstanceId"]: i["InstanceName"] for i in control.state()["instances"]}
        assert names["ins-emu00003"] == "renamed"
        control.reset()
        assert control.state()["images"] == []


def test_era_and_lag_flags() -> None:
    with _emulator_process() as url:
        control = EmulatorControl(url)
        config = control.config()
        assert (config["api_era"], config["image_visibility_lag_seconds"], config["tag_binding_lag_seconds"]) == (
            "today", 1.0, 1.0)
        with pytest.raises(TencentCloudSDKException) as caught:
            _client(url).call_json("CreateImage", REBOOTED)
        assert caught.value.code == "UnknownParameter"
    flags = ("--api-era", "2018", "--image-visibility-lag-seconds", "0", "--tag-binding-lag-seconds", "0.5")
    with _emulator_process(*flags) as url:
        control = EmulatorControl(url)
        config = control.config()
        assert (config["api_era"], config["image_visibility_lag_seconds"], config["tag_binding_lag_seconds"]) == (
            "2018", 0.0, 0.5)
        answer = _client(url).call_json("CreateImage", REBOOTED)
        assert answer["Response"]["ImageId"].startswith("img-")
        assert control.state()["era"] == "2018"
