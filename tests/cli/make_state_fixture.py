"""Write tests/cli/fixtures/state-<version>.json: the state this version writes for examples/infra-repo.

Run once per release, before tagging it: `PATH=$HOME/.pulumi/bin:$PATH .venv/bin/python -m tests.cli.make_state_fixture`.
It builds the wheel, deploys the example against a fresh emulator (a free port) and keeps `pulumi stack export
--show-secrets` without the stack's secrets provider (and the program's source positions), so that any later stack can import it.
"""

from __future__ import annotations

import json
import tempfile
import tomllib
from pathlib import Path

from emulator import EmulatorServer
from emulator.control import EmulatorControl
from tests.cli.conftest import ROOT
from tests.cli.consumer import FIXTURES, build_distributions, consumer_project
from tests.conftest import EmulatorHandle


def main() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with tempfile.TemporaryDirectory() as temporary, EmulatorServer(port=0) as server:
        base = Path(temporary)
        wheel, _ = build_distributions(base / "dist")
        config = server.backend.config
        emulator = EmulatorHandle(server.url, server.endpoint, config.secret_id, config.secret_key, "ap-guangzhou",
                                  EmulatorControl(server.url))
        project = consumer_project(base, wheel, emulator)
        project.up()
        state = project.export("--show-secrets")
        del state["deployment"]["secrets_providers"]
        for resource in state["deployment"]["resources"]:  # where this machine's program ran: noise in a fixture
            resource.pop("sourcePosition", None)
            resource.pop("stackTrace", None)
        target = FIXTURES / f"state-{version}.json"
        target.write_text(json.dumps(state, indent=2) + "\n")
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
