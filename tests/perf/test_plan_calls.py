"""Check and Diff, as the engine sends them through the provider server, make no API call."""

from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.runtime import rpc

from bench.workload import Emulator, deployment
from components.provider import CvmImageProvider
from tests.engine.engine import Engine, Goal, ResourceState


def test_check_and_diff_make_no_api_call(emulator) -> None:
    provider = CvmImageProvider()
    # A region name is checked by its form only: whether the account has it is asked at create (DescribeRegions).
    stored = {"instance_id": "ins-0000000a", "image_name": "web", "copy_to_regions": ["ap-shanghai-fsi", "ap-atlantis"]}
    moved = Goal("web", {**stored, "instance_id": "ins-0000000b"}, provider)
    with deployment(Emulator(emulator.url), provider) as deployed:
        plan = deployed.plan_unchanged(20)
        emulator.control.clear_requests()
        engine = Engine(deployed.host)
        urn = engine.urn(moved)
        pickled = rpc.wrap_rpc_secret(serialize_provider(provider))
        inputs, _ = deployed.host.check(urn, {}, {**stored, PROVIDER_KEY: pickled})
        engine.state[urn] = ResourceState("img-0000000a", inputs, {**inputs, "image_id": "img-0000000a"})
        steps = engine.preview([moved])

    assert plan.requests == []
    assert [step.op for step in steps] == ["create-replacement", "replace", "delete-replaced"]
    assert steps[1].replace_keys == ("instance_id",)
    assert emulator.control.requests() == []
