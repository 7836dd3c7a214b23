"""Self-tests of the engine harness against the sample file provider, over the real provider server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.runtime import rpc

from tests.engine.conftest import TOKEN, StartHost
from tests.engine.engine import CheckFailed, DeploymentError, Engine, Goal, Step
from tests.engine.host import ProviderError, ProviderHost
from tests.engine.sample_provider import FileProvider, events


def image(provider: FileProvider, name: str = "a", **inputs: Any) -> Goal:
    return Goal(name, {"name": f"img-{name}", "zone": "z1", "note": "first", **inputs}, provider)


def methods_during(host: ProviderHost, action: Any) -> list[str]:
    before = len(host.calls)
    action()
    return host.methods()[before:]


def ops(directory: Path) -> list[tuple[str, str]]:
    return [(event["op"], event["subject"]) for event in events(directory) if event["op"] != "create-start"]


def test_create_then_same(engine: Engine, host: ProviderHost, provider: FileProvider, resource_dir: Path) -> None:
    goal = image(provider)
    urn = engine.urn(goal)

    assert engine.up([goal]) == [Step("create", urn)]
    state = engine.state[urn]
    assert json.loads(Path(state.outputs["path"]).read_text())["note"] == "first"

    assert methods_during(host, lambda: engine.up([goal])) == ["Check", "Diff"]
    assert engine.state[urn] == state
    assert urn == "urn:pulumi:dev::proj::pulumi-python:dynamic/cvm:Image::a"


def test_update_in_place_keeps_the_id(engine: Engine, provider: FileProvider, resource_dir: Path) -> None:
    engine.up([image(provider)])
    (urn, before), = engine.state.items()

    # The provider says DIFF_SOME without detail, so the step has no changed keys.
    assert engine.up([image(provider, note="second")]) == [Step("update", urn)]
    assert engine.state[urn].id == before.id
    assert engine.state[urn].outputs["note"] == "second"
    assert ops(resource_dir)[-1] == ("update", before.id)


def test_diff_unknown_uses_the_engine_input_diff_including_provider(engine: Engine, provider: FileProvider) -> None:
    engine.up([image(provider)])
    urn = engine.urn(image(provider))
    changed_provider = FileProvider()
    changed_provider.create_delay = 0.0  # an attribute changes the pickled __provider

    labels = {"team": "x"}

    assert engine.up([image(provider, labels=labels)]) == [Step("update", urn, ("labels",))]
    # The provider answers DIFF_NONE, which is final: the new __provider is stored without an update.
    assert engine.up([image(changed_provider, labels=labels)]) == [Step("same", urn)]
    assert engine.up([image(provider)]) == [Step("update", urn, ("__provider", "labels"))]


def test_replace_creates_before_deleting(
    engine: Engine, host: ProviderHost, provider: FileProvider, resource_dir: Path
) -> None:
    engine.up([image(provider)])
    (urn, old), = engine.state.items()

    replaced = image(provider, name="a", zone="z2")
    renamed = Goal(replaced.name, {**replaced.inputs, "name": "img-a2"}, provider)
    steps = methods_during(host, lambda: engine.up([renamed]))

    assert steps == ["Check", "Diff", "Check", "Create", "Delete"]
    new = engine.state[urn]
    assert ops(resource_dir)[-2:] == [("create", new.id), ("delete", old.id)]
    assert not Path(old.outputs["path"]).exists()


def test_replace_steps_when_creating_first(engine: Engine, provider: FileProvider) -> None:
    engine.up([image(provider)])
    urn = engine.urn(image(provider))
    renamed = image(provider, zone="z2")
    renamed = Goal(renamed.name, {**renamed.inputs, "name": "img-other"}, provider)

    assert engine.up([renamed]) == [
        Step("create-replacement", urn, replace_keys=("zone",)),
        Step("replace", urn, replace_keys=("zone",)),
        Step("delete-replaced", urn),
    ]


def test_replace_deletes_first_when_the_name_stays(
    engine: Engine, provider: FileProvider, resource_dir: Path
) -> None:
    engine.up([image(provider)])
    (urn, old), = engine.state.items()

    assert engine.up([image(provider, zone="z2")]) == [
        Step("delete-replaced", urn),
        Step("replace", urn, replace_keys=("zone",)),
        Step("create-replacement", urn, replace_keys=("zone",)),
    ]
    new = engine.state[urn]
    assert ops(resource_dir)[-2:] == [("delete", old.id), ("create", new.id)]
    assert new.outputs["zone"] == "z2"


def test_resource_left_out_of_the_program_is_deleted(engine: Engine, provider: FileProvider) -> None:
    engine.up([image(provider, "a"), image(provider, "b")])
    b_urn = engine.urn(image(provider, "b"))

    assert engine.up([image(provider, "a")]) == [Step("same", engine.urn(image(provider, "a"))), Step("delete", b_urn)]
    assert b_urn not in engine.state


def test_refresh_adopts_drift_and_drops_missing(engine: Engine, provider: FileProvider) -> None:
    engine.up([image(provider, "a"), image(provider, "b")])
    a, b = (engine.urn(image(provider, name)) for name in "ab")
    assert engine.refresh() == [Step("same", a), Step("same", b)]

    drifted = Path(engine.state[a].outputs["path"])
    drifted.write_text(json.dumps({**json.loads(drifted.read_text()), "note": "edited"}))
    Path(engine.state[b].outputs["path"]).unlink()

    assert engine.refresh() == [Step("update", a), Step("delete", b)]
    assert engine.state[a].outputs["note"] == engine.state[a].inputs["note"] == "edited"
    assert list(engine.state) == [a]
    assert engine.up([image(provider, "a")])[0] == Step("update", a)  # the program wins again


def test_destroy_deletes_everything(engine: Engine, provider: FileProvider, resource_dir: Path) -> None:
    engine.up([image(provider, "a"), image(provider, "b")])

    assert sorted(step.op for step in engine.destroy()) == ["delete", "delete"]
    assert engine.state == {}
    assert [op for op, _ in ops(resource_dir)] == ["create", "create", "delete", "delete"]


def test_preview_sends_only_check_and_diff(
    engine: Engine, host: ProviderHost, provider: FileProvider, resource_dir: Path
) -> None:
    assert methods_during(host, lambda: engine.preview([image(provider)])) == ["Check"]
    engine.up([image(provider, "a"), image(provider, "b"), image(provider, "c")])
    state, log = dict(engine.state), ops(resource_dir)
    a, b, c = (engine.urn(image(provider, name)) for name in "abc")

    goals = [image(provider, "a", note=rpc.UNKNOWN), image(provider, "b", zone="z2")]
    steps = methods_during(host, lambda: engine.preview(goals))

    assert set(steps) == {"Check", "Diff"}
    assert engine.preview(goals) == [
        Step("update", a),
        Step("delete-replaced", b),
        Step("replace", b, replace_keys=("zone",)),
        Step("create-replacement", b, replace_keys=("zone",)),
        Step("delete", c),
    ]
    assert (engine.state, ops(resource_dir)) == (state, log)
    with pytest.raises(ValueError, match="unknown"):
        engine.up(goals)


def test_failed_create_records_nothing(engine: Engine, provider: FileProvider) -> None:
    good, bad = image(provider, "good"), image(provider, "bad", failOnCreate=True)

    with pytest.raises(DeploymentError) as failure:
        engine.up([good, bad])

    (error,) = failure.value.errors
    assert isinstance(error, ProviderError) and "refusing to create, as asked" in error.details
    assert list(engine.state) == [engine.urn(good)]


def test_failed_delete_keeps_the_state(engine: Engine, provider: FileProvider) -> None:
    engine.up([image(provider)])
    state = dict(engine.state)
    Path(next(iter(state.values())).outputs["path"]).unlink()

    with pytest.raises(DeploymentError, match="FileNotFoundError"):
        engine.destroy()
    assert engine.state == state


def test_check_failures_stop_the_resource(engine: Engine, host: ProviderHost, provider: FileProvider) -> None:
    nameless = Goal("x", {"zone": "z1"}, provider)

    with pytest.raises(DeploymentError) as failure:
        engine.up([nameless])

    assert [type(error) for error in failure.value.errors] == [CheckFailed]
    assert host.methods()[-1] == "Check" and engine.state == {}


def test_configure_secrets_reach_the_provider_unwrapped(
    engine: Engine, host: ProviderHost, provider: FileProvider, resource_dir: Path
) -> None:
    engine.up([image(provider)])

    assert json.loads((resource_dir / "configure.json").read_text()) == {"token": TOKEN}
    assert "sample: created" in host.output
    assert TOKEN not in host.output


def test_secret_inputs_are_sent_plain_and_stored_secret(engine: Engine, provider: FileProvider) -> None:
    engine.up([image(provider, note=rpc.wrap_rpc_secret("hush"))])
    (state,) = engine.state.values()

    assert json.loads(Path(state.outputs["path"]).read_text())["note"] == "hush"
    for props in (state.inputs, state.outputs):
        assert props["note"] == rpc.wrap_rpc_secret("hush")
        assert rpc.is_rpc_secret(props[PROVIDER_KEY])
    assert not rpc.is_rpc_secret(state.outputs["path"])


def test_creates_overlap_up_to_the_server_workers(start_host: StartHost, resource_dir: Path) -> None:
    engine = Engine(start_host({"sample:createDelay": "0.3"}))
    provider = FileProvider()

    engine.up([image(provider, str(n)) for n in range(8)])

    running = peak = 0
    for event in events(resource_dir):
        running += {"create-start": 1, "create": -1}[event["op"]]
        peak = max(peak, running)
    assert peak == 4


def test_the_first_failure_cancels_the_steps_not_yet_started(engine: Engine, provider: FileProvider) -> None:
    engine.parallel = 1
    bad, later = image(provider, "bad", failOnCreate=True), image(provider, "later")

    with pytest.raises(DeploymentError):
        engine.up([bad, later])

    assert engine.state == {}  # `later` was queued behind the failure, never started


def test_the_default_parallelism_is_four_per_cpu(engine: Engine) -> None:
    assert engine.parallel == 4 * (os.cpu_count() or 1)


def test_the_provider_inputs_are_the_stack_config_with_its_secrets(engine: Engine, provider: FileProvider) -> None:
    engine.up([image(provider)])

    assert engine.provider_inputs["sample:token"] == rpc.wrap_rpc_secret(TOKEN)
    assert set(engine.provider_inputs) == {"sample:dir", "sample:token"}
