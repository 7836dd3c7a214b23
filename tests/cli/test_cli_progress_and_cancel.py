"""Long creates through the real Pulumi CLI: progress on each image's own row, Ctrl-C, and a killed CLI.

What only the CLI shows: where the engine's display puts the provider's Log lines, the Cancel the engine sends on the
first Ctrl-C, and the lock and pending operations a killed `pulumi up` leaves in the backend.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from components.operations.power import STOPPED_FOR_TAG_PREFIX
from tests.cli.conftest import IMAGE_TYPE, CliProject
from tests.engine.cvm_stack import images

BUILD_SECONDS = 40.0
UP = ("up", "--yes", "--non-interactive", "--skip-preview")
PROGRESS = re.compile(r"image (img-[a-z0-9]+): ([A-Z]+) after (\d+)s")
NAMES = {"web-image": "test-web", "api-image": "test-api"}  # the `project` fixture's images
RUNNING_BUILDER = "ins-emu00002"  # test-api's instance: RUNNING, stopped by the provider for its image


class Running:
    """A `pulumi` command left running (CliProject.popen), its output collected as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self._lines.append(line)

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def wait_for_progress(self, *names: str, timeout: float = 120.0) -> None:
        """Until each named image's row has shown a progress line: its create is waiting for the build."""
        deadline = time.monotonic() + timeout
        while not all(progress_lines(self.output, name) for name in names):
            assert self.process.poll() is None, f"pulumi ended early:\n{self.output}"
            assert time.monotonic() < deadline, f"no progress within {timeout} s:\n{self.output}"
            time.sleep(0.2)

    def finish(self, timeout: float) -> int:
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code


def progress_lines(output: str, name: str) -> list[tuple[str, str, int]]:
    """(image id, state, seconds) of the progress shown on the row of image resource `name`."""
    row = f"{IMAGE_TYPE} {name} "
    return [
        (found[1], found[2], int(found[3]))
        for line in output.splitlines() if row in line and (found := PROGRESS.search(line))
    ]


def emulator_images(emulator: Any) -> dict[str, tuple[str, str]]:
    """The emulator's custom images: id -> (name, state)."""
    return {id_: (image["ImageName"], image["ImageState"]) for id_, image in images(emulator.control).items()}


def create_errors(emulator: Any) -> list[str | None]:
    """The error code of each CreateImage since the request log was last cleared."""
    return [entry["error"] for entry in emulator.control.requests() if entry["action"] == "CreateImage"]


def state_ids(project: CliProject) -> dict[str, str]:
    return {name: resource["id"] for name, resource in project.images().items()}


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the CLI starts its plugins in process groups of their own)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def assert_builder_back(emulator: Any) -> None:
    """The running builder the api image stopped is RUNNING again, and no record of the stop is left on it."""
    deadline = time.monotonic() + 30
    while True:
        builder = next(i for i in emulator.control.state()["instances"] if i["InstanceId"] == RUNNING_BUILDER)
        if builder["InstanceState"] == "RUNNING":
            break
        assert time.monotonic() < deadline, f"builder left {builder['InstanceState']}"
        time.sleep(0.2)
    assert not [tag for tag in builder["Tags"] if tag["Key"].startswith(STOPPED_FOR_TAG_PREFIX)]


def kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_up_shows_each_image_state_on_its_own_row_and_no_secret(project: CliProject, emulator: Any) -> None:
    project.pulumi("config", "set", "--secret", "tencentcloud:secretKey", emulator.secret_key)
    assert emulator.secret_key not in project.stack_file.read_text()
    emulator.control.set_config(image_build_seconds=BUILD_SECONDS)

    up = project.up()

    ids = state_ids(project)
    for name, image_id in ids.items():
        shown = progress_lines(up.output, name)
        assert {found_id for found_id, _, _ in shown} == {image_id}, up.output
        states = [state for _, state, _ in shown]
        assert states[0] == "CREATING" and states[-1] == "NORMAL", up.output
        assert any(state == "CREATING" and seconds >= 30 for _, state, seconds in shown), up.output  # every 30 s
    progress = [line for line in up.output.splitlines() if PROGRESS.search(line)]
    assert progress and all(IMAGE_TYPE in line for line in progress), up.output  # none on the stack's row
    assert not any(image_name in line for line in progress for image_name in NAMES.values())
    assert emulator.secret_key not in up.output


def test_ctrl_c_during_a_create_ends_the_up_within_seconds_and_the_next_up_adopts_the_images(
    project: CliProject, emulator: Any
) -> None:
    emulator.control.set_config(image_build_seconds=BUILD_SECONDS)
    running = Running(project.popen(*UP))
    running.wait_for_progress(*NAMES)
    left = emulator_images(emulator)

    sent = time.monotonic()
    os.killpg(running.process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    code = running.finish(timeout=120)
    seconds = time.monotonic() - sent

    assert code != 0 and seconds < 15, f"{seconds:.1f} s after SIGINT:\n{running.output}"
    assert sorted(left.values()) == [("test-api", "CREATING"), ("test-web", "CREATING")]
    for image_id, (image_name, _) in left.items():
        assert (
            f"Cancelled while waiting for image '{image_name}' ({image_id}) in ap-guangzhou: it was left CREATING. "
            "The next `pulumi up` adopts it and waits again."
        ) in running.output
    assert project.images() == {}  # failed creates: nothing in the state
    emulator.control.clear_requests()

    project.up()

    # Each name is taken, by an image carrying this resource's marks: adopted, not made again.
    assert create_errors(emulator) == ["InvalidImageName.Duplicate"] * 2
    assert emulator_images(emulator) == {image_id: (name, "NORMAL") for image_id, (name, _) in left.items()}
    assert state_ids(project) == {resource: image_id for image_id, (name, _) in left.items()
                                  for resource, declared in NAMES.items() if declared == name}
    assert_builder_back(emulator)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the CLI's plugin processes through /proc")
def test_after_the_cli_is_killed_mid_create_cancel_refresh_and_up_converge(project: CliProject, emulator: Any) -> None:
    emulator.control.set_config(image_build_seconds=BUILD_SECONDS)
    running = Running(project.popen(*UP))
    plugins: list[int] = []
    try:
        running.wait_for_progress(*NAMES)
        plugins = descendants(running.process.pid)
        providers = [pid for pid in plugins if "pulumi.dynamic" in cmdline(pid)]
        assert providers, "no provider process found below the CLI"
        os.killpg(running.process.pid, signal.SIGKILL)
        running.finish(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in providers):  # the provider notices its engine is gone and ends
            assert time.monotonic() < deadline, f"provider processes {providers} outlived the killed CLI by 30 s"
            time.sleep(0.5)
        kill(plugins)  # the language host of the killed CLI
        left = emulator_images(emulator)

        locked = project.up(check=False)

        assert locked.returncode != 0 and "the stack is currently locked by 1 lock(s)" in locked.output
        project.pulumi("cancel", "--yes")
        pending = project.export()["deployment"].get("pending_operations") or []
        assert sorted((op["type"], op["resource"]["urn"].rsplit("::", 1)[1]) for op in pending) == [
            ("creating", "api-image"), ("creating", "web-image"),
        ]
        project.refresh("--clear-pending-creates")
        assert not project.export()["deployment"].get("pending_operations")
        emulator.control.clear_requests()

        project.up()

        assert create_errors(emulator) == ["InvalidImageName.Duplicate"] * 2  # adopted, not made again
        assert sorted(left.values()) == [("test-api", "CREATING"), ("test-web", "CREATING")]
        assert emulator_images(emulator) == {image_id: (name, "NORMAL") for image_id, (name, _) in left.items()}
        assert sorted(state_ids(project).values()) == sorted(left)
        assert_builder_back(emulator)
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)
        kill(plugins)
