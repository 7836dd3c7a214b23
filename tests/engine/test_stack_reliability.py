"""A stack of CvmImages through the real provider server: converging under a fault mix, and keeping secrets secret."""

import base64
import json
import re
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from pulumi.runtime import rpc
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from components import CvmImageProvider
from emulator import EmulatorConfig, EmulatorServer
from emulator.control import EmulatorControl
from tests.conftest import announce_fault_seed
from tests.engine.engine import DeploymentError, Engine, Goal
from tests.fault_mix import FAULT_MIX
from tests.engine.host import ProviderHost

SECRET_KEY = "sk-Never-Show-This-7f3a9c"
SECURITY_TOKEN = "tok-Never-Show-This-2b8e"
# What a rerun may have to fix: the retries of a transient error ran out, or an image was not seen in time. Anything
# else (a duplicate, a leftover, a refused input) is a bug the fault mix uncovered, not bad luck.
TRANSIENT_FAILURES = re.compile(
    r"failed with (RequestLimitExceeded|InternalError|ServerNetworkError|ClientNetworkError)\b"
    r"|disappeared while it was being created|but no image of that name appeared"
)


@pytest.fixture
def cloud(fault_seed: int) -> Iterator[EmulatorServer]:
    """An emulator of our own, so its secret key is one that appears nowhere else; its fault dice use the run's seed."""
    # Today's API with 3 s of eventual consistency: new images and their tags show up late, lost answers or not.
    config = EmulatorConfig(
        image_build_seconds=0.3, instance_transition_seconds=0.1, secret_key=SECRET_KEY,
        image_visibility_lag_seconds=3.0, tag_binding_lag_seconds=3.0,
    )
    with EmulatorServer(port=0, config=config, fault_seed=fault_seed) as server:
        announce_fault_seed(fault_seed)
        yield server


@pytest.fixture
def engine(cloud: EmulatorServer) -> Iterator[Engine]:
    with ProviderHost(project="cvm-images") as host:
        config = {
            "tencentcloud:secretId": cloud.backend.config.secret_id,
            "tencentcloud:secretKey": SECRET_KEY,
            "tencentcloud:securityToken": SECURITY_TOKEN,
            "cvmImage:endpoint": cloud.url,
        }
        host.configure(config, {"tencentcloud:secretKey", "tencentcloud:securityToken"})
        yield Engine(host, project="cvm-images")


def sdk_client(cloud: EmulatorServer) -> CvmClient:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=cloud.endpoint))
    return CvmClient(Credential(cloud.backend.config.secret_id, SECRET_KEY), "ap-guangzhou", profile)


def launch_instances(cloud: EmulatorServer, count: int) -> list[str]:
    params = {"InstanceCount": count, "Placement": {"Zone": "ap-guangzhou-3"}, "ImageId": "img-9id7emv7", "InstanceType": "S5.MEDIUM2"}
    ids = sdk_client(cloud).call_json("RunInstances", params)["Response"]["InstanceIdSet"]
    time.sleep(0.3)  # PENDING -> RUNNING
    return ids


def image_goals(instances: list[str]) -> list[Goal]:
    return [
        Goal(f"image-{n}", {"instance_id": instance, "image_name": f"mix-{n}", "reboot": True, "force_poweroff": True}, CvmImageProvider())
        for n, instance in enumerate(instances)
    ]


def converge(operation, *args) -> list[str]:
    """Run an engine operation, rerunning it once if some steps failed, as a user would; returns the first run's
    errors (none: no rerun). A failing rerun fails the test."""
    try:
        operation(*args)
        return []
    except DeploymentError as failed:
        first_errors = [str(error) for error in failed.errors]
    print("first run failed, rerun:", *first_errors, sep="\n  ")
    operation(*args)
    return first_errors


def faults_fired(control: EmulatorControl) -> Counter[str]:
    return Counter(entry["fault"] for entry in control.requests() if entry.get("fault"))


@pytest.mark.timeout(360)  # backoff under 30% throttling (waits of up to 20 s): 15 s to 2 min, up and destroy
def test_ten_images_converge_under_a_fault_mix_and_destroy_leaves_nothing(cloud, engine):
    control = EmulatorControl(cloud.url)
    instances = ["ins-emu00001", "ins-emu00002", "ins-emu00003", *launch_instances(cloud, 7)]
    goals = image_goals(instances)

    control.set_faults(FAULT_MIX)
    first_errors = converge(engine.up, goals)
    fired = faults_fired(control)
    print("faults in up:", dict(fired), "of", len(control.requests()), "calls")
    control.clear_faults()

    images = control.state()["images"]
    assert sorted(image["ImageName"] for image in images) == sorted(goal.inputs["image_name"] for goal in goals)
    assert {image["ImageId"] for image in images} == {state.id for state in engine.state.values()}
    assert all(image["ImageState"] == "NORMAL" for image in images)
    assert [error for error in first_errors if not TRANSIENT_FAILURES.search(error)] == []
    # The mix really hit the run: every kind (the forced ones surely), and throttling at its 30% on other calls.
    assert fired["lose_response"] >= 2 and fired["drop"] >= 1 and fired["http_500"] >= 1 and fired["throttle"] >= 1

    control.clear_requests()
    control.set_faults(FAULT_MIX)
    first_errors = converge(engine.destroy)
    fired = faults_fired(control)
    print("faults in destroy:", dict(fired), "of", len(control.requests()), "calls")
    control.clear_faults()
    assert control.state()["images"] == []
    assert engine.state == {}
    assert [error for error in first_errors if not TRANSIENT_FAILURES.search(error)] == []
    assert fired["lose_response"] >= 1 and fired["http_500"] >= 1


def test_no_secret_reaches_the_image_state_outputs_errors_or_logs(cloud, engine):
    """The provider puts no credential in what it owns. The engine itself keeps the stack config as the default
    provider's inputs, secrets as secrets (here `provider_inputs`; the real state: tests/cli/test_cli_secrets.py)."""
    goal = Goal("web", {"instance_id": "ins-emu00001", "image_name": "web-base"}, CvmImageProvider())
    engine.up([goal])
    engine.up([Goal("web", {**goal.inputs, "image_name": "web-base-v2"}, goal.provider)])
    # A translated error (a fix text of the provider's) and an untranslated one (the API's own message passed on).
    alien_disk = {"instance_id": "ins-emu00001", "image_name": "alien-disk", "data_disk_ids": ["disk-emu0002d"]}
    with pytest.raises(DeploymentError) as failed:
        engine.up([
            goal,
            Goal("bad", {"instance_id": "ins-zzzzzzzz", "image_name": "bad"}, CvmImageProvider()),
            Goal("alien", alien_disk, CvmImageProvider()),
        ])
    engine.refresh()
    state_text = json.dumps({urn: (s.id, s.inputs, s.outputs) for urn, s in engine.state.items()}, default=str)
    assert engine.provider_inputs["tencentcloud:secretKey"] == rpc.wrap_rpc_secret(SECRET_KEY)
    pickled = [base64.b64decode(_plain(s.inputs["__provider"])) for s in engine.state.values()]
    engine.destroy()

    seen = {
        "state": state_text,
        "pickled provider": b"".join(pickled).decode("latin-1"),
        "errors": str(failed.value),
        "provider output": engine.host.output,
        "emulator request log": json.dumps(EmulatorControl(cloud.url).requests()),
    }
    assert pickled and all(b"components.provider" in blob for blob in pickled)
    assert "ins-zzzzzzzz" in seen["errors"] and "does not exist" in seen["errors"]
    assert "disk-emu0002d" in seen["errors"]  # the API's words about the other instance's disk
    for where, text in seen.items():
        for secret in (SECRET_KEY, SECURITY_TOKEN):
            assert secret not in text, f"{secret} leaked into the {where}"


def _plain(value):
    """The engine may hold `__provider` as a secret-wrapped value."""
    return value.get("value", value) if isinstance(value, dict) else value
