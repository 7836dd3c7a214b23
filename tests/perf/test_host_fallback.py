"""components.host only adapts the stock dynamic provider server, and a server it does not recognise is left alone."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from components import host
from tests.engine.host import PROJECT_ROOT

# A stand-in for `python -m pulumi.dynamic`: a __main__ with the servicer class, `traceback` and a gRPC server on a
# 4-worker pool; argv[1] says how its gRPC internals differ from the ones components.host knows.
FAKE_DYNAMIC_HOST = """
import json, sys, traceback
from concurrent.futures import ThreadPoolExecutor
import grpc
from grpc import _server

class DynamicResourceProviderServicer:
    pass

variant = sys.argv[1]
if variant == "renamed-server-class":
    _server._Server.__name__ = "_ServerV2"
pool = ThreadPoolExecutor(max_workers=4)
server = grpc.server(pool)
if variant == "no-thread-pool":
    del server._state.thread_pool

from components.provider import CvmImageProvider  # what the server's first unpickle does
checked = CvmImageProvider().check({}, {"instance_id": "ins-0000000a", "image_name": "web"})
print(json.dumps({
    "max_workers": pool._max_workers,
    "user_errors_adapted": not hasattr(sys.modules["__main__"].traceback, "print_exc"),
    "check_failures": len(checked.failures),
}))
"""


def run_fake_host(variant: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", FAKE_DYNAMIC_HOST, variant], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def test_outside_the_dynamic_server_nothing_changes() -> None:
    main = sys.modules["__main__"]
    formatter = getattr(main, "traceback", None)
    pool = ThreadPoolExecutor(max_workers=4)
    server = grpc.server(pool)
    try:
        host.adapt()
        assert pool._max_workers == 4
        assert getattr(main, "traceback", None) is formatter
    finally:
        server.stop(None)
        pool.shutdown()


def test_the_recognised_server_gets_the_cap_lifted() -> None:
    assert run_fake_host("as-is") == {
        "max_workers": host.MAX_CONCURRENT_OPERATIONS, "user_errors_adapted": True, "check_failures": 0,
    }


@pytest.mark.parametrize("variant", ["renamed-server-class", "no-thread-pool"])
def test_a_server_with_other_internals_keeps_its_cap_and_still_works(variant: str) -> None:
    assert run_fake_host(variant) == {"max_workers": 4, "user_errors_adapted": True, "check_failures": 0}
