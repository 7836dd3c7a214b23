"""Progress while an image bakes goes to the engine's Log, on the row of the image it is about.

Through the stock host started as the CLI starts it (`python -u -m pulumi.dynamic <engine-address>`), with a fake
engine recording the Log calls.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pulumi.runtime.proto import engine_pb2

from components.waiting import poller
from components.cloud.client import Image
from components.waiting.poller import ImagePoller, PollSchedule, WaitTimeout
from components.progress import ProgressLog
from components.cloud.retry import Deadline
from tests.components.host_helpers import RUNNING, STOPPED, cvm_host, eventually, fake_engine, image_inputs, image_urn

WEB, API = image_urn("web-image"), image_urn("api-image")


def states_logged(logs: list[engine_pb2.LogRequest], urn: str, image_id: str) -> list[str]:
    """The states in the lines logged for `urn`, each checked to be about `image_id` alone."""
    # A running builder is stopped for its image first: those lines are about the instance ("instance ins-...: ...").
    messages = [log.message for log in logs if log.urn == urn and not log.message.startswith("instance ins-")]
    assert all(message.startswith(f"image {image_id}: ") for message in messages), messages
    return [message.removeprefix(f"image {image_id}: ").split(" after ")[0] for message in messages]


def test_each_progress_line_is_logged_ephemerally_against_the_urn_of_its_own_image(emulator) -> None:
    emulator.control.set_config(image_build_seconds=2.5)
    with fake_engine() as (engine, address), cvm_host(emulator, address) as host:
        with ThreadPoolExecutor(max_workers=2) as pool:  # two creates at once, as the engine sends them
            web = pool.submit(host.create, WEB, image_inputs(STOPPED, "web-base"))
            api = pool.submit(host.create, API, image_inputs(RUNNING, "api-base", reboot=True))
            (web_id, _), (api_id, _) = web.result(), api.result()
        eventually(lambda: {log.urn for log in engine.logs if "NORMAL" in log.message} == {WEB, API})
        logs, stderr = engine.logs, host.output

    assert states_logged(logs, WEB, web_id)[-1] == "NORMAL" and states_logged(logs, API, api_id)[-1] == "NORMAL"
    assert states_logged(logs, WEB, web_id)[0] == "CREATING" and states_logged(logs, API, api_id)[0] == "CREATING"
    assert {log.urn for log in logs} == {WEB, API}
    assert all(log.ephemeral and log.severity == engine_pb2.INFO for log in logs)
    assert not any("web-base" in log.message or "api-base" in log.message for log in logs)  # the row names it
    assert "image img-" not in stderr  # not under the stack as well


def test_a_failing_engine_log_neither_fails_the_create_nor_loses_the_line(emulator) -> None:
    with fake_engine(failing=True) as (engine, address), cvm_host(emulator, address) as host:
        image_id, outputs = host.create(WEB, image_inputs(STOPPED, "web-base"))
        eventually(lambda: f"image {image_id}: NORMAL after" in host.output)

    assert outputs["image_state"] == "NORMAL"
    assert [log.urn for log in engine.logs] != []  # the engine was asked first


def test_without_an_engine_or_urn_lines_go_to_stderr(capfd) -> None:
    with fake_engine() as (engine, address):
        ProgressLog(address).report(None, "image img-00000001: CREATING after 0s")
        ProgressLog(None).report(WEB, "image img-00000002: CREATING after 0s")

        assert capfd.readouterr().err.splitlines() == [
            "image img-00000001: CREATING after 0s",
            "image img-00000002: CREATING after 0s",
        ]
        assert engine.logs == []


def test_an_engine_that_cannot_be_reached_gets_the_line_on_stderr(capfd) -> None:
    ProgressLog("127.0.0.1:9").report(WEB, "image img-00000001: CREATING after 0s")  # the test suite's dead port

    eventually(lambda: "image img-00000001: CREATING after 0s" in capfd.readouterr().err)


class _StillBaking:
    """A cloud where every image asked about is CREATING, however long it is watched."""

    def describe_images(self, image_ids: list[str], deadline: Deadline) -> dict[str, Image]:
        return {image_id: {"ImageId": image_id, "ImageState": "CREATING"} for image_id in image_ids}

    def describe_instances(self, instance_ids: list[str], deadline: Deadline) -> dict[str, Image]:
        raise AssertionError("no instance is waited for here")


class _Lines(ProgressLog):
    def __init__(self) -> None:
        super().__init__(None)
        self.lines: list[tuple[float, str]] = []

    def report(self, urn: str | None, message: str) -> None:
        self.lines.append((time.monotonic(), message))


def test_a_long_bake_gets_a_line_every_period_without_a_state_change(monkeypatch) -> None:
    """The periodic sign of life (every 30 s in production; 0.4 s here) on a state that never changes, and no more
    often than that however often the image is polled."""
    monkeypatch.setattr(poller, "PROGRESS_EVERY_SECONDS", 0.4)
    lines = _Lines()
    image_poller = ImagePoller(_StillBaking(), PollSchedule(floor=0.05, growth=0.0, cap=0.05), lines.report)  # type: ignore[arg-type]

    with pytest.raises(WaitTimeout):
        image_poller.wait("img-00000001", lambda image: False, Deadline.after(2.1))

    messages = [message.split(" after ")[0] for _, message in lines.lines]
    assert len(messages) >= 4 and set(messages) == {"image img-00000001: CREATING"}, lines.lines
    gaps = [later - earlier for (earlier, _), (later, _) in zip(lines.lines, lines.lines[1:])]
    assert min(gaps) >= 0.4 - 0.01, gaps  # about 40 polls in the wait: not a line each
