"""16 images in one `pulumi up` and one `pulumi destroy` through the real CLI, at its default `--parallel` and at
`--parallel 32`, against one image, with a build time of a few seconds.

The engine runs at most `--parallel` steps at once (default 4 x GOMAXPROCS: 8 on a 2-core machine), so 16 creates
run in ceil(16 / P) waves; within a wave the provider must not serialise them. Asserted: structural overlap from the
emulator's request log (each CreateImage builds for BUILD_SECONDS from its arrival; each DeleteImages is held
DELETE_SECONDS by a delay fault), and loose wall-time bounds that hold on a loaded 2-core machine. Every command is a
fresh CLI process, so each destroy starts cold (new provider process, configured from the state): its Deletes are the
host's first requests, with no Check before them to load the provider module. The numbers are printed to the terminal
(even without `-s`) for the README's benchmark table.
"""

from __future__ import annotations

import math
import re
import subprocess
from typing import Any

import pytest

from tests.cli.cli_checks import most_at_once, request_times, summary
from tests.cli.conftest import CliProject, image, make_stopped_instances
from tests.engine.cvm_stack import images

COUNT = 16
BUILD_SECONDS = 3.0
DELETE_SECONDS = 2.0


def cli_default_parallel(project: CliProject) -> int:
    """The `--parallel` the CLI uses when none is given, as `pulumi up --help` states it (PULUMI_PARALLEL counts)."""
    done = subprocess.run(["pulumi", "up", "--help"], cwd=project.dir, env=project.env, capture_output=True, text=True, check=True)
    match = re.search(r"--parallel int32 .*\(default (\d+)\)", done.stdout)
    assert match, done.stdout
    return int(match.group(1))


def run_once(project: CliProject, emulator: Any, instance_ids: list[str], *args: str) -> dict[str, Any]:
    """`pulumi up` of one image per instance, then `pulumi destroy`; wall times and the overlap seen by the emulator."""
    project.set_images([image(f"p{n:02d}", instance_id) for n, instance_id in enumerate(instance_ids)])
    emulator.control.clear_requests()
    up = project.up(*args)
    assert summary(up) == {"created": 2 * len(instance_ids) + 1}  # stack, GoldenImages, images
    made = images(emulator.control)
    assert len(made) == len(instance_ids) and {image["ImageState"] for image in made.values()} == {"NORMAL"}
    creates = [(start, start + BUILD_SECONDS) for start, _ in request_times(emulator.control.requests(), "CreateImage")]
    assert len(creates) == len(instance_ids)  # one CreateImage per image: no retry, no duplicate

    emulator.control.clear_requests()
    destroy = project.destroy(*args)
    assert summary(destroy) == {"deleted": 2 * len(instance_ids) + 1}
    assert images(emulator.control) == {} and project.images() == {}
    deletes = request_times(emulator.control.requests(), "DeleteImages")
    assert len(deletes) == len(instance_ids)
    return {
        "up": up.seconds,
        "destroy": destroy.seconds,
        "creating_at_once": most_at_once(creates),
        "deleting_at_once": most_at_once(deletes),
    }


@pytest.fixture
def slow_cloud(emulator: Any) -> Any:
    """Images take BUILD_SECONDS to build and DeleteImages DELETE_SECONDS to answer (reset by the next test)."""
    emulator.control.set_config(image_build_seconds=BUILD_SECONDS)
    emulator.control.set_faults([{"action": "DeleteImages", "kind": "delay", "seconds": DELETE_SECONDS, "probability": 1}])
    return emulator


def test_sixteen_images_build_and_delete_together_at_the_default_parallel_and_at_32(
    project: CliProject, slow_cloud: Any, cvm_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    instance_ids = make_stopped_instances(cvm_client, COUNT)  # one image task per instance at a time
    default = cli_default_parallel(project)

    one = run_once(project, slow_cloud, instance_ids[:1])
    results = {f"default ({default})": (default, run_once(project, slow_cloud, instance_ids))}
    results["32"] = (32, run_once(project, slow_cloud, instance_ids, "--parallel", "32"))

    lines = [f"\n1 image: up {one['up']:.2f} s, destroy {one['destroy']:.2f} s (build {BUILD_SECONDS} s, delete {DELETE_SECONDS} s)"]
    for label, (_, run) in results.items():
        lines.append(
            f"{COUNT} images, --parallel {label}: up {run['up']:.2f} s = {run['up'] / one['up']:.2f}x one, "
            f"destroy {run['destroy']:.2f} s = {run['destroy'] / one['destroy']:.2f}x one; at most "
            f"{run['creating_at_once']} creates and {run['deleting_at_once']} deletes at once"
        )
    with capsys.disabled():
        print("\n".join(lines))

    for label, (parallel, run) in results.items():
        allowed = min(COUNT, parallel)
        waves = math.ceil(COUNT / allowed)
        # Structural: as many images build (and are deleted) at once as the engine lets run at once. At
        # --parallel 32 that is all 16 CreateImage calls before the first image turns NORMAL.
        assert run["creating_at_once"] == allowed, (label, run)
        assert run["deleting_at_once"] == allowed, (label, run)
        # Loose: one wave costs about one image's time; allow two more waves' worth for a loaded machine. A provider
        # that served images one by one would need 16x one image's build and delete time.
        assert run["up"] < (waves + 2) * one["up"], (label, run, one)
        assert run["destroy"] < (waves + 2) * one["destroy"], (label, run, one)
