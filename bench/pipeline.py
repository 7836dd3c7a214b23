"""`.venv/bin/python -m bench.pipeline`: what a golden-image pipeline costs beside the image alone.

One image, then the same image copied to 3 regions and shared with 3 accounts, then 4 such images at once, through
the real provider server against a CVM emulator of its own (today's API, its default lags). The copies of an image
run at once, so the target is the build plus one copy time (x1.2); the one poller polls each region with one
DescribeImages call however many copies are baking there, so 4 images cost about the calls of one. Prints Markdown.
"""

import sys
from collections import Counter

from bench.workload import CreateRun, Emulator, Request, count_actions, deployment, emulator_process, stopped_instances
from components.provider import CvmImageProvider

BUILD_SECONDS = 10.0
COPY_SECONDS = 10.0
REGIONS = ["ap-shanghai", "ap-beijing", "ap-singapore"]
ACCOUNTS = ["100000000011", "100000000012", "100000000013"]
MANY = 4


def describes_by_region(requests: list[Request]) -> Counter[str]:
    return Counter(r["region"] for r in requests if r["action"] == "DescribeImages")


def polls_by_region(requests: list[Request]) -> Counter[str]:
    """The poller's DescribeImages (by ImageIds), without the lookups by name or tag each image makes once a region."""
    return Counter(r["region"] for r in requests if r["action"] == "DescribeImages" and "ImageIds" in r["params"])


def measure(emulator: Emulator) -> tuple[CreateRun, CreateRun, CreateRun]:
    control = emulator.control
    control.reset()
    control.set_config(image_build_seconds=BUILD_SECONDS, image_copy_seconds=COPY_SECONDS, instance_transition_seconds=0.2)
    instances = stopped_instances(emulator, 2 + MANY)
    pipeline = {"copy_to_regions": REGIONS, "share_with_accounts": ACCOUNTS}
    with deployment(emulator, CvmImageProvider()) as deployed:
        alone = deployed.create("alone", instances[:1])
        one = deployed.create("pipeline", instances[1:2], **pipeline)
        many = deployed.create("many", instances[2:], **pipeline)
    return alone, one, many


def report(alone: CreateRun, one: CreateRun, many: CreateRun) -> tuple[str, bool]:
    budget = 1.2 * (alone.seconds + COPY_SECONDS)
    per_region_one, per_region_many = polls_by_region(one.requests), polls_by_region(many.requests)
    coalesced = all(per_region_many[region] <= 1.5 * per_region_one[region] + 2 for region in per_region_one)
    rows = [
        ("one image alone", alone),
        (f"one image, {len(REGIONS)} copies, {len(ACCOUNTS)} shares", one),
        (f"{MANY} images at once, each {len(REGIONS)} copies and {len(ACCOUNTS)} shares", many),
    ]
    lines = [
        f"Build {BUILD_SECONDS:.0f} s, copy {COPY_SECONDS:.0f} s (emulator), today's API with its default lags.",
        "",
        "| case | wall time | DescribeImages by region (of them polls) | API calls by action |",
        "| --- | --- | --- | --- |",
        *(
            f"| {label} | {run.seconds:.2f} s | {_by_region(run.requests)} | "
            f"{dict(sorted(count_actions(run.requests).items()))} |"
            for label, run in rows
        ),
        "",
        "| target | measured | result |",
        "| --- | --- | --- |",
        f"| one image with copies and shares <= 1.2 x (alone + one copy) = {budget:.2f} s | {one.seconds:.2f} s | "
        f"{'PASS' if one.seconds <= budget else 'FAIL'} |",
        f"| {MANY} such images at once <= the same budget | {many.seconds:.2f} s | {'PASS' if many.seconds <= budget else 'FAIL'} |",
        f"| DescribeImages polls per region for {MANY} images <= 1.5 x one image's + 2 (one call a region a poll) | "
        f"{dict(sorted(per_region_many.items()))} vs {dict(sorted(per_region_one.items()))} | {'PASS' if coalesced else 'FAIL'} |",
    ]
    return "\n".join(lines), one.seconds <= budget and many.seconds <= budget and coalesced


def _by_region(requests: list[Request]) -> str:
    polls = polls_by_region(requests)
    return ", ".join(f"{region}: {count} ({polls[region]})" for region, count in sorted(describes_by_region(requests).items()))


def main() -> int:
    with emulator_process() as emulator:
        print("measuring (about 1 minute) ...", file=sys.stderr, flush=True)
        table, met = report(*measure(emulator))
    print(table)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
