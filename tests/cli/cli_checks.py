"""Reading what the real Pulumi CLI printed and what the emulator saw, for the tests in tests/cli/.

The CLI's non-interactive display is plain text: step lines (`<op> <type> <name> <status>`), a `Diagnostics:` section,
a `Resources:` summary, and with `preview --diff` one block per resource (`<op> <type>: (<step>)`, `[urn=...]`, one
line per changed property). These helpers pick those apart so that tests assert on what a user reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.cli.conftest import IMAGE_TYPE, Run

TRACEBACK = "Traceback (most recent call last)"
DEFAULT_PROVIDER_TYPE = "pulumi:providers:pulumi-python"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # marks a secret value in a stack export

_SUMMARY_ITEM = re.compile(r"^(?:[-+~]+\s*)?(\d+) ([a-z][a-z ]*)$")
_DIFF_HEADER = re.compile(r"^[-+~ ]*[\w:/.-]+: \(([\w-]+)\)$")


def assert_no_traceback(run: Run) -> None:
    assert TRACEBACK not in run.output, f"a Python traceback reached the user:\n{run}"


def summary(run: Run) -> dict[str, int]:
    """The `Resources:` summary, e.g. {"to create": 2, "unchanged": 3} or {"updated": 1, "changes": 1, ...}."""
    lines = run.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "Resources:"]
    assert starts, f"no `Resources:` summary in the output:\n{run}"
    counts: dict[str, int] = {}
    for line in lines[starts[-1] + 1 :]:
        if not line.strip():
            break
        for part in line.strip().split(". "):
            match = _SUMMARY_ITEM.match(part.strip().rstrip("."))
            assert match, f"unexpected summary line {line!r}:\n{run}"
            counts[match.group(2)] = int(match.group(1))
    return counts


def squeeze(line: str) -> str:
    """A display line with its alignment padding collapsed: `~ image_name : "a" => "b"`."""
    return " ".join(line.split())


def diff_block(run: Run, name: str) -> tuple[str, list[str]]:
    """From `preview --diff`: the step shown for resource `name` ("update", "replace", ...) and its property lines."""
    lines = run.stdout.splitlines()
    at = [i for i, line in enumerate(lines) if line.strip().startswith("[urn=") and line.strip().endswith(f"::{name}]")]
    assert at, f"resource {name!r} is not in the diff:\n{run}"
    header = next((m for line in reversed(lines[: at[0]]) if (m := _DIFF_HEADER.match(line.strip()))), None)
    assert header is not None, f"no step header above {name!r}:\n{run}"
    block: list[str] = []
    for line in lines[at[0] + 1 :]:
        text = line.strip()
        if _DIFF_HEADER.match(text) or text in ("--outputs:--", "Resources:"):
            break
        if not text.startswith("["):
            block.append(squeeze(text))
    return header.group(1), block


def diff_names(run: Run) -> list[str]:
    """The names of the images that `preview --diff` shows a block for (the stack's own row is always there)."""
    return [
        line.strip()[:-1].rsplit("::", 1)[1]
        for line in run.stdout.splitlines()
        if line.strip().startswith("[urn=") and f"${IMAGE_TYPE}::" in line
    ]


def step_lines(run: Run, name: str) -> list[str]:
    """The display's lines about image resource `name`, in the order printed, e.g. `created replacement (0.77s) ...`."""
    prefix = f"{IMAGE_TYPE} {name} "
    return [squeeze(line.split(prefix, 1)[1]) for line in run.stdout.splitlines() if prefix in line]


def first_line_index(run: Run, text: str) -> int:
    lines = run.stdout.splitlines()
    found = [i for i, line in enumerate(lines) if text in line]
    assert found, f"{text!r} is not in the output:\n{run}"
    return found[0]


def emulator_names(control: Any) -> dict[str, str]:
    """The emulator's custom images: id -> name."""
    return {image["ImageId"]: image["ImageName"] for image in control.state()["images"]}


def state_ids(images: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Resource name -> image id, from CliProject.images()."""
    return {name: resource["id"] for name, resource in images.items()}


def where(value: Any, needle: str, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every JSON path below `value` whose key or string value contains `needle`."""
    if isinstance(value, dict):
        for key, item in value.items():
            if needle in key:
                yield (*path, key)
            yield from where(item, needle, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from where(item, needle, (*path, str(index)))
    elif isinstance(value, str) and needle in value:
        yield path


def files_containing(root: Path, needles: Iterable[str]) -> list[str]:
    """Files below root (e.g. a file backend: stacks, history, backups) whose bytes contain any needle."""
    wanted = [needle.encode() for needle in needles]
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in wanted)
    )


def request_times(requests: list[dict[str, Any]], action: str) -> list[tuple[float, float]]:
    """(arrival, answer) in epoch seconds for each logged call of `action`, oldest first."""
    spans = []
    for entry in requests:
        if entry["action"] == action:
            start = datetime.fromisoformat(entry["time"]).timestamp()
            spans.append((start, start + entry["duration_ms"] / 1000))
    return sorted(spans)


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The largest number of [start, end) spans that cover one instant."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def pretty(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True)
