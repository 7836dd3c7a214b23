"""A small urllib client for the emulator's control API (/_emulator/), for tests, benchmarks and scripts."""

import json
import urllib.error
import urllib.request
from typing import Any


class ControlError(Exception):
    """The control API refused a call (HTTP 4xx/5xx)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class EmulatorControl:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ControlError(error.code, error.read().decode("utf-8", "replace")) from None

    def state(self) -> dict[str, list[dict[str, Any]]]:
        return self._call("GET", "state")

    def reset(self) -> None:
        self._call("POST", "reset")

    def set_faults(self, rules: list[dict[str, Any]], seed: int | None = None) -> list[dict[str, Any]]:
        """Replace the fault rules; with `seed`, the dice start again from it (same seed, same requests: same faults)."""
        payload: dict[str, Any] = {"rules": rules} if seed is None else {"rules": rules, "seed": seed}
        return self._call("POST", "faults", payload)["rules"]

    def faults(self) -> dict[str, Any]:
        """{"rules": [...], "seed": N}: the active rules and the seed the dice last started from."""
        return self._call("GET", "faults")

    def fault_seed(self) -> int:
        return self.faults()["seed"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def requests(self) -> list[dict[str, Any]]:
        return self._call("GET", "requests")["requests"]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def config(self) -> dict[str, Any]:
        return self._call("GET", "config")

    def set_config(self, **settings: Any) -> dict[str, Any]:
        return self._call("PATCH", "config", settings)

    def patch_instance(self, instance_id: str, **facts: Any) -> dict[str, Any]:
        return self._call("PATCH", f"instances/{instance_id}", facts)

    def deny(self, *actions: str) -> list[str]:
        """Make a permission policy deny these actions ("CreateImage", "tag:TagResources", "cvm:*", "*"): they answer
        AuthFailure.UnauthorizedOperation until reset. Replaces the earlier list; no actions allows everything."""
        return self._call("POST", "deny", {"actions": list(actions)})["actions"]

    def denied(self) -> list[str]:
        return self._call("GET", "deny")["actions"]

    def fail_copies(self, region: str = "*", count: int = 1) -> dict[str, int]:
        """The next `count` SyncImages copies into `region` ("*": any region) end CREATEFAILED. Adds to the earlier
        switches; answers what is left to fail, by region."""
        return self._call("POST", "copy-failures", {"region": region, "count": count})

    def copy_failures(self) -> dict[str, int]:
        return self._call("GET", "copy-failures")

    def clear_copy_failures(self) -> None:
        self._call("DELETE", "copy-failures")

    def seed_image(self, image_id: str, image_name: str, **facts: Any) -> dict[str, Any]:
        """Make a NORMAL custom image with this id (facts: ImageDescription, InstanceId, Region, Tags); answers it as
        DescribeImages would. Refused (409) if the id is taken."""
        return self._call("POST", "images", {"ImageId": image_id, "ImageName": image_name, **facts})
