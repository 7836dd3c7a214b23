"""`pulumi up` of a stack without the CLI: `__main__.py` under Pulumi's mocks, with every CvmImage it registers
deployed through the engine double (tests/engine) to the real provider server, and so to the emulator.

Like the engine, each registration is planned and applied as it arrives (Check, Diff, then create, update, same or
replace), and resources the program no longer declares are deleted after the program ends. Two differences:
registrations are deployed one at a time, and the old image of a create-before-delete replacement is deleted when
its replacement is done, not at the end of the run.
"""

from __future__ import annotations

import base64
import runpy
import threading
from dataclasses import dataclass, field
from typing import Any

import dill
import pulumi
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config

from tests.engine.cvm_stack import PROJECT, start_host
from tests.engine.engine import DEFAULT_TYPE, Engine, Goal, ResourceState, Step
from tests.engine.host import ProviderHost
from tests.program.stack_run import ROOT


@dataclass
class StackState:
    """What the engine keeps for one stack between runs."""

    name: str
    resources: dict[str, ResourceState] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    steps: list[tuple[str, str]]  # (op, resource name), sorted
    image_ids: dict[str, str]  # the program's `image_ids` export: GoldenImage name -> image id


class EngineMocks(pulumi.runtime.Mocks):
    """Sends each CvmImage registration through an engine over the provider server; other resources are echoed."""

    def __init__(self, host: ProviderHost, stack: StackState) -> None:
        self._host = host
        self._stack = stack
        self._lock = threading.Lock()  # registrations arrive on several threads at once
        self.registered: set[str] = set()
        self.steps: list[Step] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ != DEFAULT_TYPE:
            return f"{args.name}-id", dict(args.inputs)
        state = self._deploy(Goal(args.name, _user_inputs(args.inputs), _unpickle(args.inputs[PROVIDER_KEY])))
        return state.id, {key: value for key, value in state.outputs.items() if key != PROVIDER_KEY}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}

    def finish(self) -> None:
        """The program is done: delete what it no longer declares."""
        with self._lock:
            orphans = {urn: old for urn, old in self._stack.resources.items() if urn not in self.registered}
        self.steps += self._engine(orphans).destroy()
        for urn in orphans:
            del self._stack.resources[urn]

    def _deploy(self, goal: Goal) -> ResourceState:
        """Plan and apply one registration, with the engine seeing only this resource's old state.

        One at a time: the engine pickles the provider with `serialize_provider`, which is not thread-safe.
        """
        engine = self._engine({})
        urn = engine.urn(goal)
        with self._lock:
            if urn in self._stack.resources:
                engine.state[urn] = self._stack.resources[urn]
            self.steps += engine.up([goal])
            self.registered.add(urn)
            self._stack.resources[urn] = engine.state[urn]
        return engine.state[urn]

    def _engine(self, state: dict[str, ResourceState]) -> Engine:
        return Engine(self._host, stack=self._stack.name, project=PROJECT, state=state)


def up(stack: StackState, config: dict[str, str]) -> Run:
    """One `pulumi up` of the stack with this config; `stack` carries the state from run to run."""
    with start_host(config) as host:
        mocks = EngineMocks(host, stack)
        image_ids = _run_program(mocks, stack.name, config)
        mocks.finish()
    steps = sorted((step.op, step.urn.rsplit("::", 1)[1]) for step in mocks.steps)
    return Run(steps, image_ids)


def _run_program(mocks: pulumi.runtime.Mocks, stack: str, config: dict[str, str]) -> dict[str, str]:
    settings.ROOT.set(None)  # a fresh root stack resource for each run in this process
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    set_all_config(config)
    exported: dict[str, str] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        golden = runpy.run_path(str(ROOT / "__main__.py"))["golden"]
        return pulumi.Output.all(**{name: image.image_id for name, image in golden.items()}).apply(exported.update)

    program()
    return exported


def _user_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in inputs.items() if key != PROVIDER_KEY}


def _unpickle(pickled: Any) -> ResourceProvider:
    """The provider the program pickled into `__provider` (a secret), as the provider server unpickles it."""
    return dill.loads(base64.b64decode(rpc.unwrap_rpc_secret(pickled)))
