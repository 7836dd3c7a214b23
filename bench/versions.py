"""`.venv/bin/python -m bench.versions`: what keeping versions costs. The usage lookups before a delete (what launches
from the image and its 3 copies: calls and seconds, in regions crowded with instances, launch templates and launch
configurations that use other images), and a rollback to a retained version (seconds, no build).

Through the real provider server (the engine double drives it as the engine does) against a CVM emulator of its
own; calls are counted from the emulator's request log. Prints Markdown.
"""

import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from datetime import datetime

from bench.workload import REGION, Emulator, Request, count_actions, deployment, emulator_process, stopped_instances
from components.provider import CvmImageProvider
from tests.engine.engine import Engine, Goal

COPY_REGIONS = ["ap-shanghai", "ap-beijing", "ap-singapore"]
BUILD_SECONDS = 10.0
COPY_SECONDS = 2.0
PUBLIC_IMAGE = "img-9id7emv7"
# Each region's crowd: instances (RunInstances launches 100 at a time), launch templates with their versions, and
# launch configurations (the emulator's quota is 50 a region), all launching from a public image.
CROWD = {REGION: (250, 10, 3, 40), **{region: (120, 3, 2, 10) for region in COPY_REGIONS}}
LOOKUPS = ("DescribeInstances", "DescribeLaunchTemplates", "DescribeLaunchTemplateVersions", "DescribeLaunchConfigurations")
LOOKUP_BUDGET_SECONDS = 2.0


@dataclass(frozen=True)
class Timed:
    seconds: float
    requests: list[Request]


def crowd(emulator: Emulator) -> None:
    control = emulator.control
    for region, (instances, templates, versions, configurations) in CROWD.items():
        cvm, autoscaling = emulator.client(region), emulator.autoscaling(region)
        placement = {"Zone": f"{region}-3"}
        for start in range(0, instances, 100):
            cvm.call_json("RunInstances", {"Placement": placement, "ImageId": PUBLIC_IMAGE, "InstanceCount": min(100, instances - start)})
        for n in range(templates):
            params = {"LaunchTemplateName": f"crowd-{n}", "Placement": placement, "ImageId": PUBLIC_IMAGE}
            template_id = cvm.call_json("CreateLaunchTemplate", params)["Response"]["LaunchTemplateId"]
            for _ in range(versions - 1):
                cvm.call_json("CreateLaunchTemplateVersion", {"LaunchTemplateId": template_id, "Placement": placement})
        for n in range(configurations):
            params = {"LaunchConfigurationName": f"crowd-{n}", "ImageId": PUBLIC_IMAGE, "InstanceType": "S5.SMALL1"}
            autoscaling.call_json("CreateLaunchConfiguration", params)
    control.clear_requests()


def timed(emulator: Emulator, step: Any) -> Timed:
    emulator.control.clear_requests()
    started = time.perf_counter()
    step()
    return Timed(time.perf_counter() - started, emulator.control.requests())


def goal(provider: CvmImageProvider, instance_id: str, name: str, **inputs: Any) -> Goal:
    return Goal("image", {"instance_id": instance_id, "image_name": name, "copy_to_regions": COPY_REGIONS, **inputs}, provider)


def measure(emulator: Emulator) -> dict[str, Timed]:
    control = emulator.control
    control.reset()
    control.set_config(image_build_seconds=BUILD_SECONDS, image_copy_seconds=COPY_SECONDS, instance_transition_seconds=0.2)
    builders = stopped_instances(emulator, 4)
    crowd(emulator)
    provider = CvmImageProvider()
    runs: dict[str, Timed] = {}
    with deployment(emulator, provider) as deployed:
        for label, settings in (("looked up", {}), ("delete_in_use: true", {"delete_in_use": True})):
            engine = Engine(deployed.host)
            engine.up([goal(provider, builders[0], f"bench-{len(runs)}", **settings)])
            runs[label] = timed(emulator, engine.destroy)
        engine = Engine(deployed.host)
        for instance_id in builders[1:3]:
            engine.up([goal(provider, instance_id, "bench-rollback", keep_previous=1)])
        [previous] = engine.state[engine.urn(goal(provider, "", ""))].outputs["previous_image_ids"]
        runs["rollback"] = timed(emulator, lambda: engine.up([goal(provider, builders[2], "bench-rollback", keep_previous=1, rollback_to=previous)]))
        engine.destroy()
    return runs


def lookups_by_region(requests: list[Request]) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {}
    for request in requests:
        if request["action"] in LOOKUPS:
            found.setdefault(request["region"], Counter())[request["action"]] += 1
    return found


def lookup_seconds(requests: list[Request]) -> float:
    """From the first usage lookup the emulator answered to the last (they run one after the other)."""
    times = [datetime.fromisoformat(request["time"]).timestamp() for request in requests if request["action"] in LOOKUPS]
    return max(times) - min(times)


def expected_lookups() -> dict[str, Counter[str]]:
    """One listing of everything in each region of the image: every page, and each template's versions once."""
    return {
        region: Counter({
            "DescribeInstances": -(-(instances + (4 if region == REGION else 0)) // 100),
            "DescribeLaunchTemplates": 1, "DescribeLaunchTemplateVersions": templates, "DescribeLaunchConfigurations": 1,
        })
        for region, (instances, templates, _, _) in CROWD.items()
    }


def report(runs: dict[str, Timed]) -> tuple[str, bool]:
    looked, skipped, rollback = runs["looked up"], runs["delete_in_use: true"], runs["rollback"]
    lookups = lookups_by_region(looked.requests)
    calls = sum(sum(counter.values()) for counter in lookups.values())
    cost = lookup_seconds(looked.requests)
    expected = expected_lookups()
    rolled = count_actions(rollback.requests)
    rows = [
        f"Build {BUILD_SECONDS:.0f} s, copy {COPY_SECONDS:.0f} s (emulator); an image with {len(COPY_REGIONS)} copies. "
        f"Each region holds {CROWD[REGION][0]} instances, {CROWD[REGION][1]} launch templates of {CROWD[REGION][2]} "
        f"versions and {CROWD[REGION][3]} launch configurations in {REGION}, {CROWD[COPY_REGIONS[0]][0]}, "
        f"{CROWD[COPY_REGIONS[0]][1]} of {CROWD[COPY_REGIONS[0]][2]} and {CROWD[COPY_REGIONS[0]][3]} in each copy region "
        "(plus the 4 builders), none launching from the image.",
        "",
        "| case | wall time | API calls by action |",
        "| --- | --- | --- |",
        *(f"| {label} | {run.seconds:.2f} s | {dict(sorted(count_actions(run.requests).items()))} |" for label, run in runs.items()),
        "",
        "Usage lookups of the delete, by region: "
        + "; ".join(f"{region} {dict(sorted(counter.items()))}" for region, counter in sorted(lookups.items())),
        "",
        "| target | measured | result |",
        "| --- | --- | --- |",
        f"| the lookups list each region once (every page, each template's versions once) | {calls} calls | "
        f"{'PASS' if lookups == expected else 'FAIL'} |",
        f"| the lookups take <= {LOOKUP_BUDGET_SECONDS:.0f} s (first to last lookup call; the destroys above differ by "
        f"{looked.seconds - skipped.seconds:+.2f} s) | {cost:.2f} s | "
        f"{'PASS' if cost <= LOOKUP_BUDGET_SECONDS else 'FAIL'} |",
        f"| a rollback makes no CreateImage and takes less than one build ({BUILD_SECONDS:.0f} s) | "
        f"{rollback.seconds:.2f} s, {rolled['CreateImage']} CreateImage | "
        f"{'PASS' if rolled['CreateImage'] == 0 and rollback.seconds < BUILD_SECONDS else 'FAIL'} |",
    ]
    met = lookups == expected and cost <= LOOKUP_BUDGET_SECONDS and rolled["CreateImage"] == 0 and rollback.seconds < BUILD_SECONDS
    return "\n".join(rows), met


def main() -> int:
    with emulator_process() as emulator:
        print("measuring (about 1 minute) ...", file=sys.stderr, flush=True)
        table, met = report(measure(emulator))
    print(table)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
