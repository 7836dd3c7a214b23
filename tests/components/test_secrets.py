"""No configured secret (secret key, security token) in any error message, translated or not, nor in the emulator's log.

An emulator of the test's own accepts a secret key that appears nowhere else, so a leak cannot hide behind a
well-known test value. The credentials come from the stack config or from the environment, as they can for users.
"""

import json
from collections.abc import Iterator

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from components import CvmImageProvider
from components.cloud.errors import CvmImageError
from emulator import EmulatorConfig, EmulatorServer
from emulator.control import EmulatorControl
from tests.components.emulator_helpers import STOPPED
from tests.conftest import announce_fault_seed

SECRET_KEY = "sk-Leak-Canary-91c4e7"
SECURITY_TOKEN = "tok-Leak-Canary-5d2a8f"
WRONG_KEY = "sk-Wrong-Canary-0b3e6d"
SECRETS = (SECRET_KEY, SECURITY_TOKEN, WRONG_KEY)


@pytest.fixture
def cloud(fault_seed) -> Iterator[EmulatorServer]:
    config = EmulatorConfig(
        image_build_seconds=0.3, instance_transition_seconds=0.1, secret_key=SECRET_KEY,
        image_visibility_lag_seconds=0, tag_binding_lag_seconds=0,
    )
    with EmulatorServer(port=0, config=config, fault_seed=fault_seed) as server:
        announce_fault_seed(fault_seed)
        yield server


def provider_for(cloud: EmulatorServer, source: str, monkeypatch, secret_key: str = SECRET_KEY) -> CvmImageProvider:
    """A provider configured as the engine configures it; the secrets from the stack config or the environment."""
    config = {"tencentcloud:secretId": cloud.backend.config.secret_id, "cvmImage:endpoint": cloud.url}
    if source == "config":
        config.update({"tencentcloud:secretKey": secret_key, "tencentcloud:securityToken": SECURITY_TOKEN})
    else:
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", secret_key)
        monkeypatch.setenv("TENCENTCLOUD_SECURITY_TOKEN", SECURITY_TOKEN)
    provider = CvmImageProvider()
    provider.configure(ConfigureRequest(Config(config, "cvm-images")))
    return provider


def sdk(cloud: EmulatorServer) -> CvmClient:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=cloud.endpoint))
    return CvmClient(Credential(cloud.backend.config.secret_id, SECRET_KEY), "ap-guangzhou", profile)


def failure_of(call) -> CvmImageError:
    with pytest.raises(CvmImageError) as raised:
        call()
    return raised.value


def texts_of(error: BaseException) -> list[str]:
    """Everything a user or a log could show of an error: its text, its repr and the errors chained to it."""
    texts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts += [str(error), repr(error), *map(str, error.args)]
        error = error.__cause__ or error.__context__
    return texts


@pytest.mark.parametrize("source", ["config", "environment"])
@pytest.mark.timeout(60)
def test_no_secret_in_any_error_message_or_the_emulator_log(cloud, monkeypatch, source):
    control = EmulatorControl(cloud.url)
    provider = provider_for(cloud, source, monkeypatch)

    def create(**inputs):
        """A create of these inputs by the provider configured last."""
        props = {"instance_id": STOPPED, "image_name": "web-base", "wait_timeout_minutes": 0.02, **inputs}
        checked = provider.check({}, props)
        assert not checked.failures
        return lambda: provider.create(checked.inputs)

    errors: dict[str, CvmImageError] = {}
    # Untranslated codes: the API's own message is passed on.
    errors["another instance's disk"] = failure_of(create(data_disk_ids=["disk-emu0002d"]))
    control.patch_instance(STOPPED, InstanceState="STOPPING")
    errors["instance in transition"] = failure_of(create())  # retried until the deadline, then reported
    control.patch_instance(STOPPED, InstanceState="STOPPED")
    made = create(image_name="shared")()
    sdk(cloud).call_json("ModifyImageSharePermission", {"ImageId": made.id, "AccountIds": ["100000000002"], "Permission": "SHARE"})
    errors["shared image"] = failure_of(lambda: provider.delete(made.id, made.outs))
    # Translated codes, and retries that end at the deadline.
    errors["no such instance"] = failure_of(create(instance_id="ins-zzzzzzzz"))
    errors["name taken"] = failure_of(create(instance_id="ins-emu00003", image_name="shared"))
    control.set_config(image_quota=1)
    errors["quota"] = failure_of(create())
    control.set_config(image_quota=500)
    for kind in ("throttle", "http_500", "drop"):
        control.set_faults([{"action": "*", "kind": kind}])
        errors[kind] = failure_of(create())
    control.clear_faults()
    provider = provider_for(cloud, source, monkeypatch, secret_key=WRONG_KEY)
    errors["wrong key"] = failure_of(create())

    codes = {where: str(error).split(" failed with ", 1)[-1].split(":", 1)[0] for where, error in errors.items()}
    assert codes["another instance's disk"] == "InvalidParameter.DataDiskNotBelongSpecifiedInstance"  # untranslated
    assert codes["instance in transition"] == "UnsupportedOperation.InstanceStateStopping"  # untranslated so far
    assert codes["shared image"] == "InvalidImageId.InShared"
    log = json.dumps(control.requests())
    for where, error in errors.items():
        for text in texts_of(error):
            for secret in SECRETS:
                assert secret not in text, f"{secret} leaked into the error for {where}: {text}"
    for secret in SECRETS:
        assert secret not in log, f"{secret} leaked into the emulator's request log"
