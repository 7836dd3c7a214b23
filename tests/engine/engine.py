"""A small stand-in for the Pulumi engine's deployment loop over one dynamic provider.

Mirrors pulumi/pulumi `pkg/resource/deploy`:

* `step_generator.go` `generateSteps`: Check(olds = old inputs, news = program inputs), or Check(news)
  alone for a new resource; then `diff` / `diffResource`: Diff, and for DIFF_UNKNOWN the engine's own
  `oldInputs.Diff(newInputs)` over *all* input keys. `__provider` is not special there: a change in the
  pickled provider bytes is a changed key (`[diff: ~__provider]`, pulumi/pulumi#12401), but only when the
  provider answers DIFF_UNKNOWN; DIFF_NONE is final. The provider's replace keys are kept.
* `continueStepsFromDiff`: DIFF_NONE -> same (even with replace keys); DIFF_SOME -> update unless there are
  replace keys. A replacement first re-runs Check with the program inputs and no olds; then either
  create-replacement + replace, with delete-replaced "generated later on, after all creates/updates
  finish" (`GenerateDeletes`), or, when Diff says deleteBeforeReplace (or the resource option does),
  delete-replaced + replace + create-replacement in one chain. Resources no longer in the program are deleted in
  that last phase. `replaceOnChanges` turns a change of those keys into a replacement (`applyReplaceOnChanges`).
  `--replace <urn>` (`isTargetedReplace`): Check with no olds, no provider Diff ("a replace diff that blames the id").
* `step.go`: a SameStep keeps the old id and outputs with the new inputs; a failed Create records
  nothing; a failed Update or Delete keeps the old state, and a replaced resource whose delete failed
  stays pending deletion for the next run. `RefreshStep.Apply`: Read(inputs, old outputs); an empty
  answer drops the resource; returned inputs replace the stored ones; then Diff is called with the
  refreshed inputs and outputs as the olds and the old inputs as news to decide same / update.
* Previews run Check and Diff only: the Python server's ConfigureResponse leaves `supportsPreview` false,
  so `provider_plugin.go` answers preview Creates and Updates itself.
* Independent steps run in parallel, at most `--parallel` at once (default 4 x GOMAXPROCS, i.e. 4 x the CPU count),
  and the first failed step cancels the steps not yet started (`step_executor.go`).
* The default provider `pulumi:providers:pulumi-python::default` is itself a resource whose inputs are the whole stack
  config, secrets as secrets (`target.go` GetPackageConfig): `provider_inputs` keeps that copy.

What this double still does not do, and tests/cli (the real CLI) covers: a fresh provider process per command,
`refresh`/`destroy` configured from the stored provider inputs, Cancel on Ctrl-C, the display.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from tests.engine.host import DiffResult, Properties, ProviderHost

DEFAULT_TYPE = "pulumi-python:dynamic/cvm:Image"
DIFF_NONE = provider_pb2.DiffResponse.DIFF_NONE
DIFF_SOME = provider_pb2.DiffResponse.DIFF_SOME
DIFF_UNKNOWN = provider_pb2.DiffResponse.DIFF_UNKNOWN

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Goal:
    """A resource registration: what the program asks for."""

    name: str
    inputs: Properties
    provider: ResourceProvider
    type: str = DEFAULT_TYPE
    delete_before_replace: bool = False  # the resource option
    replace_on_changes: tuple[str, ...] = ()  # the resource option


@dataclass(frozen=True)
class Step:
    op: str  # same, create, update, replace, create-replacement, delete-replaced, delete
    urn: str
    detailed_diff_keys: tuple[str, ...] = ()
    replace_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceState:
    id: str
    inputs: Properties
    outputs: Properties


class CheckFailed(Exception):
    def __init__(self, urn: str, failures: list[tuple[str, str]]) -> None:
        super().__init__(f"{urn} is invalid: {failures}")
        self.failures = failures


class DeploymentError(Exception):
    """Some steps failed; the others ran to completion and the state records them."""

    def __init__(self, errors: list[BaseException]) -> None:
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


@dataclass(frozen=True)
class _Plan:
    urn: str
    op: str  # same, create, update or replace
    inputs: Properties
    keys: tuple[str, ...] = ()
    replace_keys: tuple[str, ...] = ()
    delete_before_replace: bool = False

    def steps(self) -> list[Step]:
        if self.op != "replace":
            return [Step(self.op, self.urn, self.keys)]
        replace = Step("replace", self.urn, self.keys, self.replace_keys)
        create = Step("create-replacement", self.urn, self.keys, self.replace_keys)
        if self.delete_before_replace:
            return [Step("delete-replaced", self.urn), replace, create]
        return [create, replace]


@dataclass(frozen=True)
class _Condemned:
    urn: str
    state: ResourceState
    op: str  # delete (gone from the program) or delete-replaced


@dataclass
class Engine:
    host: ProviderHost
    stack: str = "dev"
    project: str = "proj"
    parallel: int = field(default_factory=lambda: 4 * (os.cpu_count() or 1))
    state: dict[str, ResourceState] = field(default_factory=dict)
    pending_deletes: list[_Condemned] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def urn(self, goal: Goal) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{goal.type}::{goal.name}"

    def preview(self, goals: Sequence[Goal], replace: Sequence[str] = ()) -> list[Step]:
        plans = self._parallel(lambda item: self._plan(*item, replace), self._desired(goals))
        replaced = [_Condemned(p.urn, self.state[p.urn], "delete-replaced") for p in plans if _creates_first(p)]
        deletes = replaced + self.pending_deletes + self._orphans(goals)
        return _flatten(plan.steps() for plan in plans) + [Step(c.op, c.urn) for c in deletes]

    @property
    def provider_inputs(self) -> Properties:
        """What the state holds as the default provider's inputs after an `up`: the stack config the host was given."""
        return self.host.configured_with

    def up(self, goals: Sequence[Goal], replace: Sequence[str] = ()) -> list[Step]:
        """`pulumi up`; `replace`: the URNs of `--replace`."""
        desired = self._desired(goals)
        if any(rpc.UNKNOWN in _leaves(news) for _, news, _ in desired):
            raise ValueError("only a preview may carry unknown values")
        steps = self._parallel(lambda item: self._apply(self._plan(*item, replace)), desired)
        return _flatten(steps) + self._delete_all(self.pending_deletes + self._orphans(goals))

    def refresh(self) -> list[Step]:
        return self._parallel(self._refresh, sorted(self.state))

    def destroy(self) -> list[Step]:
        return self._delete_all(self.pending_deletes + self._orphans([]))

    def _desired(self, goals: Iterable[Goal]) -> list[tuple[str, Properties, Goal]]:
        # Built here, one at a time: serialize_provider swaps pickle.Pickler globally, so it is not thread-safe.
        # Resource.__init__ always makes the pickled provider a secret (since 3.75).
        return [
            (self.urn(goal), {**goal.inputs, PROVIDER_KEY: rpc.wrap_rpc_secret(serialize_provider(goal.provider))}, goal)
            for goal in goals
        ]

    def _orphans(self, goals: Iterable[Goal]) -> list[_Condemned]:
        wanted = {self.urn(goal) for goal in goals}
        return [_Condemned(urn, self.state[urn], "delete") for urn in sorted(self.state) if urn not in wanted]

    def _plan(self, urn: str, news: Properties, goal: Goal, replace: Sequence[str] = ()) -> _Plan:
        old = self.state.get(urn)
        if old is None:
            return _Plan(urn, "create", self._check(urn, {}, news))
        if urn in replace:  # --replace: no provider Diff at all
            return _Plan(urn, "replace", self._check(urn, {}, news), (), ("id",), goal.delete_before_replace)
        inputs = self._check(urn, old.inputs, news)
        diff = self._diff(urn, old.id, old.inputs, old.outputs, inputs)
        replaces = diff.replaces + tuple(key for key in diff.changed_keys if key in goal.replace_on_changes)
        if diff.changes == DIFF_NONE:
            return _Plan(urn, "same", inputs)
        if not replaces:
            return _Plan(urn, "update", inputs, diff.changed_keys)
        replacement_inputs = self._check(urn, {}, news)
        delete_first = diff.delete_before_replace or goal.delete_before_replace
        return _Plan(urn, "replace", replacement_inputs, diff.changed_keys, replaces, delete_first)

    def _check(self, urn: str, olds: Properties, news: Properties) -> Properties:
        inputs, failures = self.host.check(urn, olds, news)
        if failures:
            raise CheckFailed(urn, failures)
        return inputs

    def _diff(
        self, urn: str, id_: str, old_inputs: Properties, old_outputs: Properties, new_inputs: Properties
    ) -> DiffResult:
        """`diffResource`: the provider's answer, with DIFF_UNKNOWN settled by the engine's own input diff."""
        diff = self.host.diff(urn, id_, old_inputs, old_outputs, new_inputs)
        if diff.changes != DIFF_UNKNOWN:
            return diff
        keys = _changed_keys(old_inputs, new_inputs)
        return dataclasses.replace(diff, changes=DIFF_SOME if keys else DIFF_NONE, changed_keys=keys)

    def _apply(self, plan: _Plan) -> list[Step]:
        urn = plan.urn
        old = self.state.get(urn)
        if plan.op == "same":
            assert old is not None
            self._record(urn, ResourceState(old.id, plan.inputs, old.outputs))
        elif plan.op == "update":
            assert old is not None
            outputs = self.host.update(urn, old.id, old.inputs, old.outputs, plan.inputs)
            self._record(urn, ResourceState(old.id, plan.inputs, outputs))
        elif plan.delete_before_replace:
            assert old is not None
            self._delete(_Condemned(urn, old, "delete"))
            self._create(urn, plan.inputs)
        else:
            self._create(urn, plan.inputs)
            if old is not None:
                with self._lock:
                    self.pending_deletes.append(_Condemned(urn, old, "delete-replaced"))
        return plan.steps()

    def _create(self, urn: str, inputs: Properties) -> None:
        id_, outputs = self.host.create(urn, inputs)
        self._record(urn, ResourceState(id_, inputs, outputs))

    def _delete_all(self, condemned: list[_Condemned]) -> list[Step]:
        return self._parallel(self._delete, condemned)

    def _delete(self, condemned: _Condemned) -> Step:
        self.host.delete(condemned.urn, condemned.state.id, condemned.state.inputs, condemned.state.outputs)
        with self._lock:
            if condemned in self.pending_deletes:
                self.pending_deletes.remove(condemned)
            elif self.state.get(condemned.urn) == condemned.state:
                del self.state[condemned.urn]
        return Step(condemned.op, condemned.urn)

    def _refresh(self, urn: str) -> Step:
        old = self.state[urn]
        read = self.host.read(urn, old.id, old.inputs, old.outputs)
        if not read.id:
            with self._lock:
                del self.state[urn]
            return Step("delete", urn)
        new = ResourceState(read.id, old.inputs if read.inputs is None else read.inputs, read.outputs)
        self._record(urn, new)
        diff = self._diff(urn, new.id, new.inputs, new.outputs, old.inputs)
        return Step("same" if diff.changes == DIFF_NONE else "update", urn, diff.changed_keys)

    def _record(self, urn: str, state: ResourceState) -> None:
        with self._lock:
            self.state[urn] = state

    def _parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """Run fn over items, `parallel` at a time; after the first failure, items not yet started are skipped and
        running ones finish; every failure is raised together, as the step executor does."""
        failed = threading.Event()

        def step(item: T) -> R:
            if failed.is_set():
                raise _Cancelled()
            try:
                return fn(item)
            except BaseException:
                failed.set()
                raise

        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            futures = [pool.submit(step, item) for item in items]
        errors = [error for future in futures if (error := future.exception()) is not None and not isinstance(error, _Cancelled)]
        if errors:
            raise DeploymentError(errors)
        return [future.result() for future in futures]


class _Cancelled(Exception):
    """A step the first failure kept from starting."""


def _creates_first(plan: _Plan) -> bool:
    return plan.op == "replace" and not plan.delete_before_replace


def _changed_keys(olds: Properties, news: Properties) -> tuple[str, ...]:
    """Top-level keys of `PropertyMap.Diff` (adds, deletes, updates); a missing key equals null."""
    return tuple(sorted(key for key in olds.keys() | news.keys() if olds.get(key) != news.get(key)))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _flatten(lists: Iterable[list[Step]]) -> list[Step]:
    return [step for steps in lists for step in steps]
