"""`.venv/bin/python -m bench`: what CvmImageProvider costs under the real provider server, beside the stock host.

Starts its own CVM emulator (`python -m emulator --port 0`), then for each host: new STOPPED builder instances,
a fresh `python -u -m pulumi.dynamic` server configured like the engine configures it, and the cases below driven
through gRPC by the engine double (Check then Create per new image; Check then Diff per stored image). API calls are
counted from the emulator's request log. Prints Markdown tables.

The engine starts at most `--parallel` steps at once (default 4 x CPUs), so 16 creates on a small machine run in
waves whatever the provider does. The provider is measured with every step sent at once (as `--parallel 32` would),
and the engine's default beside it, whose target is the engine's own limit: one create's time per wave.
"""

import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from math import ceil
from statistics import median

from pulumi.dynamic import ResourceProvider

from bench.stock import StockCvmImageProvider
from bench.workload import (
    ENGINE_PARALLELISM, CreateRun, Emulator, PlanRun, Request, count_actions, deployment, emulator_process, stopped_instances,
)
from components.provider import CvmImageProvider

CONCURRENT_CREATES = 16
ALL_AT_ONCE = 2 * CONCURRENT_CREATES  # `pulumi up --parallel 32`: every step starts at once
WAVES = ceil(CONCURRENT_CREATES / ENGINE_PARALLELISM)  # what the engine's default --parallel allows
BUILD_SECONDS = 3.0
LONG_BUILD_SECONDS = 30.0
PLANNED_RESOURCES = 500
INSTANCE_TRANSITION_SECONDS = 0.2  # only makes the builder instances ready sooner; STOPPED ones are imaged directly

MECHANISM = (
    "Baseline: the same provider code on the stock host. `bench.stock.StockCvmImageProvider` subclasses\n"
    "CvmImageProvider; the server imports `bench.stock` when it first unpickles it, which imports\n"
    "components.provider (whose host.adapt() lifts the 4-worker cap) and then sets the gRPC server's pool\n"
    "back to `_max_workers = 4`, before any create. Each host gets its own server process and a warm-up Check."
)


@dataclass(frozen=True)
class Measured:
    one: CreateRun
    many: CreateRun  # every step at once
    waves: CreateRun  # the engine's default parallelism
    long: CreateRun
    plan: PlanRun


@dataclass(frozen=True)
class Target:
    label: str
    value: Callable[[Measured], str]
    met: Callable[[Measured], bool]


def describes(run: CreateRun) -> int:
    return run.calls()["DescribeImages"]


def wall_ratio(measured: Measured, run: CreateRun | None = None) -> float:
    return (run or measured.many).seconds / measured.one.seconds


def waves_ratio(measured: Measured) -> float:
    return wall_ratio(measured, measured.waves)


def describe_ratio(measured: Measured) -> float:
    return describes(measured.many) / describes(measured.one)


def late_seconds(measured: Measured) -> float:
    return measured.long.late_after_normal(LONG_BUILD_SECONDS)


def median_ms(measured: Measured) -> float:
    return 1000 * median(measured.plan.latencies)


TARGETS = (
    Target(
        f"1. {CONCURRENT_CREATES} concurrent creates ({BUILD_SECONDS:.0f} s build), every step at once "
        f"(`--parallel {ALL_AT_ONCE}`): wall time <= 1.3x one create's",
        lambda m: f"{m.many.seconds:.2f} s / {m.one.seconds:.2f} s = {wall_ratio(m):.2f}x",
        lambda m: wall_ratio(m) <= 1.3,
    ),
    Target(
        f"1b. the same at the engine's default `--parallel` ({ENGINE_PARALLELISM} = 4 x {os.cpu_count()} CPUs, so "
        f"{WAVES} wave{'s' if WAVES > 1 else ''}): wall time <= {WAVES} x 1.3x one create's, the engine's limit",
        lambda m: f"{m.waves.seconds:.2f} s / {m.one.seconds:.2f} s = {waves_ratio(m):.2f}x",
        lambda m: waves_ratio(m) <= WAVES * 1.3,
    ),
    Target(
        f"2. DescribeImages for those {CONCURRENT_CREATES} at once <= 2x one create's",
        lambda m: f"{describes(m.many)} / {describes(m.one)} = {describe_ratio(m):.2f}x",
        lambda m: describe_ratio(m) <= 2,
    ),
    Target(
        f"3. one create, {LONG_BUILD_SECONDS:.0f} s build: returns <= 3 s after NORMAL, <= 30 DescribeImages",
        lambda m: f"{late_seconds(m):.2f} s after NORMAL, {describes(m.long)} calls",
        lambda m: late_seconds(m) <= 3 and describes(m.long) <= 30,
    ),
    Target(
        f"4. Check + Diff through gRPC, {PLANNED_RESOURCES} resources: median per resource < 5 ms",
        lambda m: f"{median_ms(m):.2f} ms, {len(m.plan.requests)} API calls",
        lambda m: median_ms(m) < 5 and not m.plan.requests,
    ),
)


def measure(emulator: Emulator, provider: ResourceProvider) -> Measured:
    control = emulator.control
    control.reset()
    control.set_config(image_build_seconds=BUILD_SECONDS, instance_transition_seconds=INSTANCE_TRANSITION_SECONDS)
    instances = stopped_instances(emulator, CONCURRENT_CREATES + 1)
    with deployment(emulator, provider) as deployed:
        one = deployed.create("one", instances[:1])
        many = deployed.create("many", instances[1:], parallel=ALL_AT_ONCE)
        waves = deployed.create("waves", instances[1:])
        control.set_config(image_build_seconds=LONG_BUILD_SECONDS)
        long = deployed.create("long", instances[:1])
        plan = deployed.plan_unchanged(PLANNED_RESOURCES)
    return Measured(one, many, waves, long, plan)


def markdown(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = [header, tuple("---" for _ in header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def calls_by_action(requests: list[Request]) -> str:
    return ", ".join(f"{action} {count}" for action, count in sorted(count_actions(requests).items())) or "none"


def run_rows(host: str, measured: Measured) -> list[tuple[str, ...]]:
    creates = (
        (f"1. one create, {BUILD_SECONDS:.0f} s build", measured.one, BUILD_SECONDS),
        (f"1. {CONCURRENT_CREATES} creates, {BUILD_SECONDS:.0f} s build, `--parallel {ALL_AT_ONCE}`", measured.many, BUILD_SECONDS),
        (f"1b. {CONCURRENT_CREATES} creates, {BUILD_SECONDS:.0f} s build, `--parallel {ENGINE_PARALLELISM}` (default)", measured.waves, BUILD_SECONDS),
        (f"3. one create, {LONG_BUILD_SECONDS:.0f} s build", measured.long, LONG_BUILD_SECONDS),
    )
    rows = [
        (case, host, f"{run.seconds:.2f} s", str(run.creates_at_once(build)), calls_by_action(run.requests))
        for case, run, build in creates
    ]
    plan = measured.plan
    timing = (
        f"median {median_ms(measured):.2f} ms per resource, one at a time; "
        f"{plan.parallel_seconds:.2f} s for all {len(plan.latencies)} at once"
    )
    return [*rows, (f"4. Check + Diff x{PLANNED_RESOURCES}", host, timing, "-", calls_by_action(plan.requests))]


def report(stock: Measured, ours: Measured) -> str:
    runs = markdown(
        ("case", "host", "wall time", "images baking at once", "API calls by action"),
        run_rows("stock (4 workers)", stock) + run_rows("this provider", ours),
    )
    targets = markdown(
        ("target", "stock (4 workers)", "this provider", "result"),
        [(t.label, t.value(stock), t.value(ours), "PASS" if t.met(ours) else "FAIL") for t in TARGETS],
    )
    machine = (
        f"{date.today().isoformat()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pulumi {version('pulumi')}, grpcio {version('grpcio')}"
    )
    return f"CvmImage benchmarks: {machine}\n\n{MECHANISM}\n\n{runs}\n\n{targets}"


def main() -> int:
    with emulator_process() as emulator:
        print("measuring the stock host (about 75 s) ...", file=sys.stderr, flush=True)
        stock = measure(emulator, StockCvmImageProvider())
        print("measuring this provider (about 1 minute) ...", file=sys.stderr, flush=True)
        ours = measure(emulator, CvmImageProvider())
    print(report(stock, ours))
    return 0 if all(target.met(ours) for target in TARGETS) else 1


if __name__ == "__main__":
    sys.exit(main())
