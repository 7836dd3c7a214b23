"""The tests can never reach a real endpoint: an endpoint exported in the shell is overridden by tests/conftest.py."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from components.cloud.tags import tag_endpoint
from components.cloud.settings import resolve_settings
from tests.conftest import DEAD_ENDPOINT

ROOT = Path(__file__).resolve().parents[1]
PROBE = "CVM_SAFETY_NET_PROBE"
REAL_ENDPOINT = "https://cvm.tencentcloudapi.com"


@pytest.mark.timeout(60)
def test_an_exported_endpoint_is_overridden_by_the_dead_local_port():
    """A pytest run of its own, started with the public endpoint exported, sees only the dead local port."""
    env = {**os.environ, "TENCENTCLOUD_CVM_ENDPOINT": REAL_ENDPOINT, PROBE: "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::test_probe"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=50,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr


@pytest.mark.skipif(not os.environ.get(PROBE), reason="the probe of the test above, run in a pytest of its own")
def test_probe():
    assert os.environ["TENCENTCLOUD_CVM_ENDPOINT"] == DEAD_ENDPOINT
    # A provider that names no endpoint resolves to the dead port, and so does every process a test starts.
    settings = resolve_settings({"tencentcloud:secretId": "AKIDPROBE", "tencentcloud:secretKey": "probe"})
    assert (settings.scheme, settings.endpoint) == ("http", "127.0.0.1:9")
    assert tag_endpoint(settings) == "127.0.0.1:9"  # the Tag API too: never tag.tencentcloudapi.com
    assert settings.credentials.sts.endpoint == "127.0.0.1:9"  # STS too: never sts.tencentcloudapi.com
    assert settings.credentials.metadata_url == "http://127.0.0.1:9/latest/meta-data/"  # nor the metadata server
    child = subprocess.run([sys.executable, "-c", "import os; print(os.environ['TENCENTCLOUD_CVM_ENDPOINT'])"],
                           capture_output=True, text=True, timeout=30)
    assert child.stdout.strip() == DEAD_ENDPOINT
