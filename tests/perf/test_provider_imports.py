"""The provider process never loads the bridged tencentcloud package: it only needs the CVM SDK."""

import json
import subprocess
import sys

from tests.engine.host import PROJECT_ROOT

BRIDGE = "tencentcloud_iac_pulumi"
LOADED_BRIDGE_MODULES = (
    "import json, sys, {module}\n"
    "print(json.dumps(sorted(name for name in sys.modules if name.split('.')[0] == '" + BRIDGE + "')))"
)


def bridge_modules_after_importing(module: str) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-c", LOADED_BRIDGE_MODULES.format(module=module)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    )
    return json.loads(completed.stdout)


def test_the_provider_module_does_not_import_the_bridge() -> None:
    assert bridge_modules_after_importing("components.provider") == []


def test_the_program_side_component_does_import_it() -> None:
    # The same probe sees the bridge where it belongs, so the empty answer above means something.
    assert BRIDGE in bridge_modules_after_importing("components.golden_image")
