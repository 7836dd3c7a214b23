"""Requests that queued behind the stock host's 4 workers before the provider module lifted the cap start at once.

The engine's first requests on a cold host can all be creates or deletes (a `pulumi destroy`, an up after a
refresh): the first one loads the provider module, the host's other 3 threads wait for it, and the rest queue up.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from tests.components.host_helpers import cvm_host, image_inputs, image_urn

BUILD_SECONDS = 4.0
CREATES = 8  # twice the stock host's 4 workers


def stopped_instances(cvm_client, count: int) -> list[str]:
    launch = {"Placement": {"Zone": "ap-guangzhou-3"}, "InstanceCount": count, "InstanceName": "queue-builder"}
    ids = cvm_client.call_json("RunInstances", launch)["Response"]["InstanceIdSet"]
    for wanted, then in (("RUNNING", "StopInstances"), ("STOPPED", None)):
        deadline = time.monotonic() + 30
        while True:
            found = cvm_client.call_json("DescribeInstances", {"InstanceIds": ids, "Limit": 100})["Response"]["InstanceSet"]
            if all(instance["InstanceState"] == wanted for instance in found):
                break
            assert time.monotonic() < deadline, f"instances did not reach {wanted}"
            time.sleep(0.05)
        if then:
            cvm_client.call_json(then, {"InstanceIds": ids})
    return ids


def test_creates_queued_on_a_cold_host_all_start_together(emulator, cvm_client) -> None:
    instances = stopped_instances(cvm_client, CREATES)
    emulator.control.set_config(image_build_seconds=BUILD_SECONDS)
    with cvm_host(emulator) as host:  # no Check first: the creates themselves load the provider module
        emulator.control.clear_requests()
        with ThreadPoolExecutor(max_workers=CREATES) as pool:
            creates = [
                pool.submit(host.create, image_urn(f"image-{n}"), image_inputs(instance, f"queued-{n}"))
                for n, instance in enumerate(instances)
            ]
            assert all(create.result()[1]["image_state"] == "NORMAL" for create in creates)

    started = sorted(
        datetime.fromisoformat(entry["time"]).timestamp()
        for entry in emulator.control.requests() if entry["action"] == "CreateImage"
    )
    assert len(started) == CREATES
    # Queued until a first-wave create finished, the second wave would start BUILD_SECONDS or more after the first.
    assert started[-1] - started[0] < BUILD_SECONDS / 2
