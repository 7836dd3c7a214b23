"""The policy pack in policy/ run by the real CLI: `pulumi preview --policy-pack policy`, as every CI preview runs it.

The stack is `test`, so the default image-name prefix is `test-` (policy/rules.py: `<stack>-`, pattern
`^[a-z0-9][a-z0-9-]*$`). The pack's virtualenv `policy/venv` is the project's `.venv` (symlinked by the fixture).
"""

from __future__ import annotations

import json
from typing import Any

from tests.cli.cli_checks import assert_no_traceback
from tests.cli.conftest import CliProject, Run, declared_images, image
from tests.engine.cvm_stack import actions

NAME_POLICY = "image-name-convention"
DESCRIPTION_POLICY = "image-description-required"


def policy_preview(project: CliProject, *args: str) -> Run:
    """`pulumi preview --policy-pack policy ...`; fails the test at once, saying why, when the pack did not start."""
    run = project.preview("--policy-pack", "policy", *args, check=False)
    if "Policies:" not in run.stdout:  # every preview here has at least an advisory note when the pack runs
        raise AssertionError(
            "the policy pack did not run, so no policy was checked. Known cause with the CLI that "
            "scripts/install-pulumi builds: the CLI asks the language host to run the pack with RunPlugin(info.programDirectory=policy/, "
            "pwd=<project>), and the v3.79.0 host reads only the RunPluginRequest's `program` field, which today's "
            "CLI leaves empty: it runs `python ''` in the project directory, i.e. the project's __main__.py, which "
            f"dies for lack of stack config and the CLI reports `could not read plugin [policy]`.\n{run}"
        )
    return run


def test_a_badly_named_image_fails_the_preview_with_the_policys_message(project: CliProject, emulator: Any) -> None:
    project.set_images([{**entry, "imageName": "Web_Base"} if entry["name"] == "web" else entry for entry in declared_images()])

    run = policy_preview(project)

    assert run.returncode != 0
    for problem in ("does not start with the prefix 'test-'", "does not match the allowed pattern '^[a-z0-9][a-z0-9-]*$'"):
        assert f"CvmImage 'web-image': image_name 'Web_Base' {problem}. Rename the image" in run.output, run
    assert "CvmImage 'api-image': image_name" not in run.output  # test-api is fine
    assert_no_traceback(run)
    assert actions(emulator.control) == []


def test_well_named_images_pass_with_an_advisory_note_for_a_missing_description(project: CliProject, emulator: Any) -> None:
    project.set_images(declared_images())  # test-web with a description, test-api without

    run = policy_preview(project)

    assert run.returncode == 0, run
    assert "image_name '" not in run.output  # no naming violation
    assert "CvmImage 'api-image' has no image_description" in run.output  # advisory: reported, does not fail
    assert "CvmImage 'web-image' has no image_description" not in run.output
    assert actions(emulator.control) == []


def test_the_policy_config_sets_the_prefix_and_the_enforcement_level(project: CliProject, emulator: Any) -> None:
    project.set_images([image("web", "ins-emu00001", imageName="golden-web", description="web"), image("api", "ins-emu00002")])
    config = project.dir / "policy-config.json"
    config.write_text(json.dumps({NAME_POLICY: {"prefix": "golden-"}, DESCRIPTION_POLICY: "mandatory"}))

    run = policy_preview(project, "--policy-pack-config", str(config))

    assert run.returncode != 0
    assert "CvmImage 'api-image': image_name 'test-api' does not start with the prefix 'golden-'" in run.output, run
    assert "CvmImage 'web-image': image_name" not in run.output
    assert "CvmImage 'api-image' has no image_description" in run.output  # now mandatory
    assert actions(emulator.control) == []
