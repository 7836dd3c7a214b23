"""HTTP front: the signed APIs (CVM, Tag, STS) on POST /, the CVM metadata server's role credentials on GET
/latest/meta-data/, the control API under /_emulator/, and EmulatorServer."""

import json
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import signing
from .backend import CvmBackend
from .config import EmulatorConfig
from .errors import ApiError, Conflict
from .faults import FaultBook, FaultRule, parse_seed
from .responses import authenticate, decode_body, handle, loggable, request_service
from .sts import Issued
from .timeline import iso_time
from .wire import control_state, describe_image, describe_instance

MAX_BODY_BYTES = 1 << 20
MAX_LOGGED_REQUESTS = 10_000
CONTROL_PREFIX = "/_emulator/"
INSTANCE_PREFIX = CONTROL_PREFIX + "instances/"
METADATA_ROLES = "/latest/meta-data/cam/security-credentials/"  # what CVMRoleCredential asks
JSON = "application/json"  # exactly this: the SDK ignores errors under any other content type


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload).encode("utf-8")


class RequestLog:
    """The last API calls, newest last; never holds headers or secrets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_LOGGED_REQUESTS)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ControlRefusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    emulator: "EmulatorServer"


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.0"
    timeout = 30  # a client that stalls mid-request cannot hold a thread forever

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Keep stderr for tracebacks; the request log is at GET /_emulator/requests."""

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        path = urlsplit(self.path).path
        try:
            body = self._read_body()
        except ValueError as error:
            self._send_json(400, {"error": str(error)})
            return
        except OSError:
            self.close_connection = True
            return
        if path.startswith(CONTROL_PREFIX):
            self._control(method, path, body)
        elif method == "POST" and path == "/":
            self._api(body)
        elif method == "GET" and path.startswith(METADATA_ROLES):
            self._metadata(path[len(METADATA_ROLES):])
        else:
            self._send_json(404, {"error": f"no route for {method} {path}"})

    def _read_body(self) -> bytes:
        raw_length = self.headers.get("Content-Length", "0").strip() or "0"
        if not raw_length.isdigit():
            raise ValueError("Content-Length must be a non-negative integer")
        length = int(raw_length)
        if length > MAX_BODY_BYTES:
            raise ValueError(f"the body is larger than {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, _json_bytes(payload), JSON)

    # -- the signed API ---------------------------------------------------------------------------

    def _api(self, body: bytes) -> None:
        started, request_id = time.monotonic(), str(uuid.uuid4())
        headers = {name.lower(): value for name, value in self.headers.items()}
        emulator = self.server.emulator
        fault = emulator.faults.pick(headers.get("x-tc-action", "").strip())
        entry: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "request_id": request_id,
            "service": request_service(headers),  # the signed service (sts for an unsigned exchange)
            "action": headers.get("x-tc-action"),
            "secret_id": signing.scope_secret_id(headers),  # the signing key's id, never the key
            "token": "x-tc-token" in headers,  # whether a token was sent, never the token
            "region": headers.get("x-tc-region"),
            "params": None,
            "error": None,
            "fault": fault.kind if fault else None,
        }
        answer = self._outcome(fault, headers, body, request_id, entry)
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 3)
        emulator.request_log.add(entry)  # before answering, so a client that got its answer sees the entry
        if answer is None:
            self.close_connection = True
        else:
            self._send(*answer)

    def _outcome(
        self, fault: FaultRule | None, headers: dict[str, str], body: bytes, request_id: str, entry: dict[str, Any]
    ) -> tuple[int, bytes, str] | None:
        """(status, body, content type) to answer with, or None to close the connection unanswered."""
        kind = fault.kind if fault else None
        if kind == "drop":
            return None
        if kind == "http_500":
            entry["error"] = "HTTP 500"
            return 500, b"500 Internal Server Error (injected fault)", "text/html"
        if fault is not None and kind == "delay":
            time.sleep(fault.seconds)
        response = self._respond(kind, headers, body, entry)
        entry["error"] = response.get("Error", {}).get("Code")
        if kind == "lose_response":
            return None
        return 200, _json_bytes({"Response": {**response, "RequestId": request_id}}), JSON

    def _respond(self, kind: str | None, headers: dict[str, str], body: bytes, entry: dict[str, Any]) -> dict[str, Any]:
        emulator = self.server.emulator
        try:
            if kind == "throttle":
                raise ApiError("RequestLimitExceeded", "Your requests are too frequent; please retry later.")
            if kind == "internal_error":
                raise ApiError("InternalError", "An internal error occurred (injected fault).")
            caller = authenticate(emulator.backend, headers, body)
            params = decode_body(body)
            entry["params"] = loggable(params)
            return handle(emulator.backend, headers, params, caller, entry["request_id"])
        except ApiError as error:
            return {"Error": {"Code": error.code, "Message": error.message}}
        except Exception:  # noqa: BLE001 - any bug must still answer like the real service
            traceback.print_exc(file=sys.stderr)
            return {"Error": {"Code": "InternalError", "Message": "An internal error occurred in the emulator."}}

    # -- the CVM metadata server (role credentials only) ------------------------------------------

    def _metadata(self, role_name: str) -> None:
        """The role's name for an empty name, else its temporary credentials, as the metadata server answers."""
        backend = self.server.emulator.backend
        if not role_name:
            self._send(200, backend.config.cvm_role_name.encode("utf-8"), "text/plain")
            return
        with backend.lock:
            issued: Issued | None = backend.cvm_role_credentials(role_name)
        if issued is None:
            self._send(404, b"404 Not Found", "text/plain")
            return
        self._send_json(200, {
            "TmpSecretId": issued.secret_id, "TmpSecretKey": issued.secret_key, "Token": issued.token,
            "ExpiredTime": int(issued.expires_at), "Expiration": iso_time(issued.expires_at), "Code": "Success",
        })

    # -- the control API --------------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> None:
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else {}
            status, answer = self.server.emulator.control(method, path, payload)
        except ControlRefusal as error:
            status, answer = error.status, {"error": str(error)}
        except Conflict as error:
            status, answer = 409, {"error": str(error)}
        except (UnicodeDecodeError, ValueError) as error:
            status, answer = 400, {"error": f"bad request: {error}"}
        self._send_json(status, answer)


ControlHandler = Callable[["EmulatorServer", Any], Any]


def _state(emulator: "EmulatorServer", payload: Any) -> Any:
    with emulator.backend.transaction(save=False):
        return control_state(emulator.backend)


def _reset(emulator: "EmulatorServer", payload: Any) -> Any:
    emulator.reset()
    return {"reset": True}


def _faults(emulator: "EmulatorServer") -> dict[str, Any]:
    return {"rules": emulator.faults.rules(), "seed": emulator.faults.seed}


def _set_faults(emulator: "EmulatorServer", payload: Any) -> Any:
    """Replace the rules; with `seed`, also start the dice again from it (checked before anything changes)."""
    if not isinstance(payload, dict) or "rules" not in payload or set(payload) - {"rules", "seed"}:
        raise ValueError('expected {"rules": [...]} or {"rules": [...], "seed": N}')
    seed = parse_seed(payload["seed"]) if "seed" in payload else None
    emulator.faults.set_rules(payload["rules"])
    if seed is not None:
        emulator.faults.reseed(seed)
    return _faults(emulator)


def _clear_faults(emulator: "EmulatorServer", payload: Any) -> Any:
    emulator.faults.clear()
    return _faults(emulator)


def _seed_image(emulator: "EmulatorServer", payload: Any) -> Any:
    backend = emulator.backend
    with backend.transaction():
        return describe_image(backend.seed_image(payload), backend.clock())


def _clear_requests(emulator: "EmulatorServer", payload: Any) -> Any:
    emulator.request_log.clear()
    return {"requests": []}


CONTROL_ROUTES: dict[tuple[str, str], ControlHandler] = {
    ("GET", "state"): _state,
    ("POST", "reset"): _reset,
    ("GET", "faults"): lambda emulator, payload: _faults(emulator),
    ("POST", "faults"): _set_faults,
    ("DELETE", "faults"): _clear_faults,
    ("GET", "requests"): lambda emulator, payload: {"requests": emulator.request_log.entries()},
    ("DELETE", "requests"): _clear_requests,
    ("GET", "config"): lambda emulator, payload: emulator.backend.config.tunables(),
    ("PATCH", "config"): lambda emulator, payload: emulator.backend.set_config(payload),
    ("GET", "deny"): lambda emulator, payload: emulator.backend.denials(),
    ("POST", "deny"): lambda emulator, payload: emulator.backend.set_denials(payload),
    ("DELETE", "deny"): lambda emulator, payload: emulator.backend.set_denials({"actions": []}),
    ("GET", "copy-failures"): lambda emulator, payload: emulator.backend.copy_failures.left(),
    ("POST", "copy-failures"): lambda emulator, payload: emulator.backend.set_copy_failures(payload),
    ("DELETE", "copy-failures"): lambda emulator, payload: emulator.backend.clear_copy_failures(),
    ("POST", "images"): _seed_image,
}


class EmulatorServer:
    """The emulator in a background thread: `with EmulatorServer() as server: ... server.url`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, config: EmulatorConfig | None = None, fault_seed: int | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.backend: CvmBackend = CvmBackend(config or EmulatorConfig())
        self.faults: FaultBook = FaultBook(fault_seed)
        self.fault_seed: int = self.faults.seed  # the start seed (drawn when none is given): reset goes back to it
        self.request_log: RequestLog = RequestLog()
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "EmulatorServer":
        """Bind and serve; returns once the socket accepts connections."""
        httpd = _HttpServer((self.host, self.port), _Handler)
        httpd.emulator = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, name="cvm-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def reset(self) -> None:
        self.backend.reset()
        self.faults.clear()
        self.faults.reseed(self.fault_seed)
        self.request_log.clear()

    def control(self, method: str, path: str, payload: Any) -> tuple[int, Any]:
        """Answer a control call: (HTTP status, JSON answer); ValueError means a bad request."""
        name = path[len(CONTROL_PREFIX):].rstrip("/")
        if path.startswith(INSTANCE_PREFIX) and method == "PATCH":
            return 200, self._patch_instance(path[len(INSTANCE_PREFIX):], payload)
        route = CONTROL_ROUTES.get((method, name))
        if route is None:
            raise ControlRefusal(404, f"no control route for {method} {path}")
        return 200, route(self, payload)

    def _patch_instance(self, instance_id: str, facts: Any) -> Any:
        try:
            with self.backend.transaction():
                return describe_instance(self.backend.patch_instance(instance_id, facts), self.backend.clock())
        except KeyError:
            raise ControlRefusal(404, f"instance {instance_id} not found") from None
