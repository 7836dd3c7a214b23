"""A tiny dynamic provider for the harness self-tests.

Each resource is a JSON file `<id>.json` in the directory named by the stack config key `sample:dir`, so
the provider subprocess and the test share state; every operation appends to `events.jsonl` there.
Names are unique, like image names: a create with a name in use fails. Changing `zone` replaces the
resource, deleting first when the name stays the same; `name` and `note` update in place; `labels` are
left to the engine (DIFF_UNKNOWN).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

MANAGED_KEYS = ("name", "zone", "note")
EVENTS_FILE = "events.jsonl"
CONFIG_FILE = "configure.json"

_lock = threading.Lock()  # the server runs up to 4 calls at once in one process


def events(directory: Path) -> list[dict[str, Any]]:
    path = directory / EVENTS_FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class FileProvider(ResourceProvider):
    # Set by configure(); the instance is pickled by reference (module path plus attributes) before that.
    directory: Path
    create_delay: float

    def configure(self, req: ConfigureRequest) -> None:
        self.directory = Path(req.config.require("sample:dir"))
        self.create_delay = float(req.config.get("sample:createDelay") or 0)
        (self.directory / CONFIG_FILE).write_text(json.dumps({"token": req.config.get("sample:token")}))

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [] if news.get("name") else [CheckFailure("name", "name is required")]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in MANAGED_KEYS if olds.get(key) != news.get(key)]
        if changed:
            replaces = ["zone"] if "zone" in changed else []
            same_name = olds.get("name") == news.get("name")
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=bool(replaces) and same_name)
        if olds.get("labels") == news.get("labels"):
            return DiffResult(changes=False)
        return DiffResult(changes=None)

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._log("create-start", props["name"])
        time.sleep(self.create_delay)
        if props.get("failOnCreate"):
            raise RuntimeError("refusing to create, as asked")
        with _lock:
            if any(record["name"] == props["name"] for record in self._records()):
                raise ValueError(f"name {props['name']} is in use")
            id_ = uuid.uuid4().hex[:8]
            path = self._write(id_, props)
        print(f"sample: created {id_}", flush=True)
        self._log("create", id_)
        return CreateResult(id_, {**_fields(props), "path": str(path)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = self.directory / f"{id_}.json"
        if not path.exists():
            return ReadResult("", {})
        record = json.loads(path.read_text())
        return ReadResult(id_, {**record, "path": str(path)}, inputs=record)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        path = self._write(id_, news)
        self._log("update", id_)
        return UpdateResult({**_fields(news), "path": str(path)})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        (self.directory / f"{id_}.json").unlink()
        self._log("delete", id_)

    def _records(self) -> list[dict[str, Any]]:
        return [json.loads(path.read_text()) for path in self.directory.glob("*.json") if path.name != CONFIG_FILE]

    def _write(self, id_: str, props: dict[str, Any]) -> Path:
        path = self.directory / f"{id_}.json"
        path.write_text(json.dumps(_fields(props)))
        return path

    def _log(self, op: str, subject: str) -> None:
        with _lock, (self.directory / EVENTS_FILE).open("a") as log:
            log.write(json.dumps({"op": op, "subject": subject, "time": time.time()}) + "\n")


def _fields(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key != "__provider"}
