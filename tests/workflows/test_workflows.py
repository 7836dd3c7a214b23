"""The GitHub workflows: what runs on a pull request and on main, with which stacks, secrets and permissions."""

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.cloud.sources import WEB_IDENTITY_ENV

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
PULUMI_SECRETS = ("PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY")
SECRET_KEY = re.compile(r"^[A-Z0-9_]*(TOKEN|SECRET|PASSPHRASE|PASSWORD|KEY)[A-Z0-9_]*$")
FROM_SECRETS = re.compile(r"^\$\{\{\s*secrets\.[A-Za-z0-9_]+\s*\}\}$")
TENCENT_SECRET_ID = re.compile(r"AKID[A-Za-z0-9]{8,}")
LONG_BASE64 = re.compile(r"(?<![@A-Za-z0-9+/])[A-Za-z0-9+/]{32,}={0,2}")
PINNED_ACTION = re.compile(r"@[0-9a-f]{40}\b")
READ_ONLY = {"contents": "read"}
DEPLOY = {"contents": "read", "id-token": "write"}  # GitHub's OIDC token, for the stack's role
ACCESS = ("none", "read", "write")
OIDC_ACTION = "./.github/actions/tencentcloud-oidc"


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads the bare key `on` as True


def is_true(value: Any) -> bool:
    return str(value).lower() == "true"


def cloud_stacks() -> set[str]:
    """Every stack file but local's, which talks to the emulator."""
    return {path.name.split(".")[1] for path in (ROOT / "stacks").glob("Pulumi.*.yaml")} - {"local"}


def all_workflows() -> dict[str, dict[str, Any]]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(WORKFLOWS.glob("*.y*ml"))}


def pulumi_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("pulumi/actions@"):
                yield job_id, step


def callers(name: str) -> list[tuple[str, str]]:
    """(workflow, job) pairs that call the reusable workflow `name`."""
    return [
        (workflow_name, job_id)
        for workflow_name, workflow in all_workflows().items()
        for job_id, job in workflow["jobs"].items()
        if job.get("uses") == f"./.github/workflows/{name}"
    ]


def secret_problems(node: Any, path: str = "") -> list[str]:
    """Places where a secret-named key holds anything but `${{ secrets.NAME }}`."""
    if isinstance(node, list):
        return [problem for index, item in enumerate(node) for problem in secret_problems(item, f"{path}[{index}]")]
    if not isinstance(node, dict):
        return []
    problems = []
    for key, value in node.items():
        if isinstance(key, str) and SECRET_KEY.match(key) and not FROM_SECRETS.match(str(value)):
            problems.append(f"{path}.{key} = {value!r}")
        problems += secret_problems(value, f"{path}.{key}")
    return problems


def credential_leaks(text: str) -> list[str]:
    """Literal credentials: Tencent Cloud SecretIds, and long base64 runs (keys, tokens) other than pinned commits."""
    text = PINNED_ACTION.sub("@", text)
    runs = [run for run in LONG_BASE64.findall(text) if re.search(r"\d", run) and re.search(r"[A-Za-z]", run)]
    return TENCENT_SECRET_ID.findall(text) + runs


def permission_problems(
    workflow: dict[str, Any], allowed: dict[str, str], jobs: dict[str, dict[str, str]] | None = None
) -> list[str]:
    """Permissions beyond `allowed` (for the workflow, and for each job not in `jobs`) or beyond a job's own grant in
    `jobs`, or a workflow that leaves them at the repository default."""
    problems = [] if workflow.get("permissions") == allowed else [f"workflow permissions {workflow.get('permissions')!r}"]
    for job_id, job in workflow["jobs"].items():
        granted, limit = job.get("permissions", {}), (jobs or {}).get(job_id, allowed)
        if not isinstance(granted, dict) or any(
            ACCESS.index(level) > ACCESS.index(limit.get(scope, "none")) for scope, level in granted.items()
        ):
            problems.append(f"job {job_id} permissions {granted!r}")
    return problems


def test_pull_requests_run_tests_and_previews_only():
    assert set(triggers(load("pull-request.yml"))) == {"pull_request"}
    assert {step["with"]["command"] for _, step in pulumi_steps(load("pull-request.yml"))} == {"preview"}


def test_main_runs_on_push_to_main_only():
    assert triggers(load("main.yml")) == {"push": {"branches": ["main"]}}


@pytest.mark.parametrize("name", ["test.yml", "deploy.yml"])
def test_reusable_workflows_run_only_when_called(name):
    assert set(triggers(load(name))) == {"workflow_call"}


@pytest.mark.parametrize("name", ["pull-request.yml", "main.yml"])
def test_the_test_job_runs_the_ci_script_on_python_3_11(name):
    assert load(name)["jobs"]["test"]["uses"] == "./.github/workflows/test.yml"
    steps = load("test.yml")["jobs"]["test"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    setup = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "3.11"
    assert steps[-1]["run"] == "bash .ci/run"


def test_each_cloud_stack_gets_a_commented_diff_preview_with_the_policy_pack():
    job = load("pull-request.yml")["jobs"]["preview"]
    assert set(job["strategy"]["matrix"]["stack"]) == cloud_stacks()
    assert job["needs"] == "test"
    [step] = [step for job_id, step in pulumi_steps(load("pull-request.yml")) if job_id == "preview"]
    inputs = step["with"]
    assert inputs["command"] == "preview"
    assert "matrix.stack" in inputs["stack-name"]
    assert is_true(inputs["comment-on-pr"])
    assert is_true(inputs["diff"])
    assert inputs["policyPacks"] == "policy"
    assert inputs["work-dir"] == "."
    assert re.fullmatch(r"\$\{\{\s*(vars|secrets)\.[A-Z_]+\s*\}\}", inputs["cloud-url"])
    assert step["env"] == {name: f"${{{{ secrets.{name} }}}}" for name in PULUMI_SECRETS}


def test_the_local_stack_preview_needs_no_secret():
    job = load("pull-request.yml")["jobs"]["preview-local"]
    [step] = [step for job_id, step in pulumi_steps(load("pull-request.yml")) if job_id == "preview-local"]
    inputs = step["with"]
    assert (inputs["command"], inputs["stack-name"], inputs["policyPacks"]) == ("preview", "local", "policy")
    assert inputs["cloud-url"].startswith("file://")
    assert is_true(inputs["upsert"]) and is_true(inputs["diff"])
    assert "secrets." not in yaml.safe_dump(job)


def test_pulumi_up_runs_only_from_pushes_to_main():
    workflows = all_workflows()
    for name, workflow in workflows.items():
        if any(step["with"]["command"] in ("up", "update") for _, step in pulumi_steps(workflow)):
            assert set(triggers(workflow)) == {"workflow_call"}, name
            assert callers(name), name
            for caller, _ in callers(name):
                assert triggers(workflows[caller]) == {"push": {"branches": ["main"]}}, caller


def test_main_updates_dev_then_prod_after_the_tests():
    jobs = load("main.yml")["jobs"]
    deploys = {job_id: job for job_id, job in jobs.items() if job.get("uses") == "./.github/workflows/deploy.yml"}
    assert {job["with"]["stack"] for job in deploys.values()} == cloud_stacks()
    assert jobs["up-dev"]["needs"] == "test"
    assert jobs["up-prod"]["needs"] == "up-dev"
    assert all(job["secrets"] == "inherit" for job in deploys.values())


def test_updates_of_a_stack_never_overlap_and_need_its_environment():
    job = load("deploy.yml")["jobs"]["up"]
    assert job["concurrency"]["group"] == "pulumi-up-${{ inputs.stack }}"
    assert job["concurrency"]["cancel-in-progress"] is False
    assert job["environment"] == "${{ inputs.stack }}"
    [(_, step)] = pulumi_steps(load("deploy.yml"))
    assert step["with"]["command"] == "up"
    assert "inputs.stack" in step["with"]["stack-name"]
    assert step["with"]["policyPacks"] == "policy"
    assert step["env"] == {name: f"${{{{ secrets.{name} }}}}" for name in PULUMI_SECRETS}


def test_every_pulumi_job_first_creates_the_virtualenvs_pulumi_yaml_and_the_policy_pack_name():
    assert yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]["virtualenv"] == ".venv"
    assert yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())["runtime"]["options"]["virtualenv"] == "venv"
    script = yaml.safe_load((GITHUB / "actions" / "python-envs" / "action.yml").read_text())["runs"]["steps"][-1]["run"]
    assert "python -m venv .venv" in script and "-r requirements.txt" in script
    assert "python -m venv policy/venv" in script and "-r policy/requirements.txt" in script
    for workflow in all_workflows().values():
        for job_id, step in pulumi_steps(workflow):
            uses = [s.get("uses") for s in workflow["jobs"][job_id]["steps"]]
            assert uses.index("./.github/actions/python-envs") < uses.index(step["uses"]), job_id


@pytest.mark.parametrize("path", sorted(p for p in GITHUB.rglob("*.y*ml")), ids=lambda p: str(p.relative_to(GITHUB)))
def test_secrets_come_only_from_github_secrets(path):
    assert secret_problems(yaml.safe_load(path.read_text())) == []


def test_the_secret_check_catches_literals_and_other_sources():
    env = {"TENCENTCLOUD_SECRET_KEY": "abc", "PULUMI_ACCESS_TOKEN": "${{ vars.TOKEN }}", "OK": "x"}
    assert len(secret_problems({"jobs": {"a": {"steps": [{"env": env}]}}})) == 2


@pytest.mark.parametrize("path", sorted(p for p in GITHUB.rglob("*") if p.is_file()), ids=lambda p: str(p.relative_to(GITHUB)))
def test_no_literal_credential_anywhere_in_github_dir(path):
    assert credential_leaks(path.read_text()) == []


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        ("TENCENTCLOUD_SECRET_ID: AKIDz8krbsJ5yKBZQpn74WFkmLPx3", 1),
        ("key: Gu5t9xGARNpq86cd98joQYCN3Cozk1qA", 1),
        ("token: cHVsLWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5", 1),
        ("uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", 0),
        ("run: python -m venv policy/venv && policy/venv/bin/pip install -r policy/requirements.txt", 0),
    ],
)
def test_the_credential_check_catches_keys_but_not_pins_or_paths(text, leaks):
    assert len(credential_leaks(text)) == leaks


@pytest.mark.parametrize(
    ("name", "allowed", "jobs"),
    [
        ("pull-request.yml", READ_ONLY, {"preview": {"contents": "read", "pull-requests": "write", "id-token": "write"}}),
        ("main.yml", READ_ONLY, {"up-dev": DEPLOY, "up-prod": DEPLOY}),
        ("test.yml", READ_ONLY, {}),
        ("deploy.yml", DEPLOY, {}),
    ],
)
def test_permissions_are_minimal(name, allowed, jobs):
    assert permission_problems(load(name), allowed, jobs) == []
    for job_id, granted in jobs.items():
        assert load(name)["jobs"][job_id]["permissions"] == granted, job_id


def test_the_permission_check_catches_broader_grants():
    assert permission_problems({"jobs": {}}, READ_ONLY) == ["workflow permissions None"]
    assert permission_problems({"permissions": "write-all", "jobs": {}}, READ_ONLY) != []
    workflow = {"permissions": READ_ONLY, "jobs": {"a": {"permissions": {"contents": "write"}}, "b": {"permissions": "write-all"}}}
    assert len(permission_problems(workflow, READ_ONLY)) == 2
    assert permission_problems({"permissions": READ_ONLY, "jobs": {"a": {"permissions": DEPLOY}}}, READ_ONLY, {"a": DEPLOY}) == []
    assert permission_problems({"permissions": READ_ONLY, "jobs": {"b": {"permissions": DEPLOY}}}, READ_ONLY, {"a": DEPLOY}) != []


def test_actionlint_finds_nothing_wrong():
    """actionlint (scripts/test installs it) checks expressions, job references, action inputs and shell steps."""
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        if os.environ.get("CI") == "true":
            pytest.fail("actionlint is not installed: scripts/test installs it with `go install`", pytrace=False)
        pytest.skip("actionlint is not installed (scripts/test installs it)")
    result = subprocess.run([actionlint, "-no-color"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def oidc_steps(workflow: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    return [step for step in workflow["jobs"][job_id]["steps"] if step.get("uses") == OIDC_ACTION]


@pytest.mark.parametrize(
    ("name", "job_id", "role", "condition"),
    [
        # deploy: the GitHub environment's (that is, the stack's) variable
        ("deploy.yml", "up", "vars.TENCENTCLOUD_ROLE_ARN", "vars.TENCENTCLOUD_ROLE_ARN != ''"),
        # preview: a map from stack to a read-only role
        ("pull-request.yml", "preview", "fromJSON(vars.TENCENTCLOUD_PREVIEW_ROLE_ARNS || '{}')[matrix.stack]", None),
    ],
)
def test_cloud_stacks_assume_a_role_with_githubs_oidc_token_before_pulumi_runs_keys_are_the_fallback(
    name, job_id, role, condition
):
    workflow = load(name)
    [step] = oidc_steps(workflow, job_id)
    assert step["with"]["role-arn"] == f"${{{{ {role} }}}}"
    assert step["if"] == (condition or role)  # no role configured: the step is skipped and the key secrets sign
    uses = [s.get("uses") or "" for s in workflow["jobs"][job_id]["steps"]]
    assert uses.index(OIDC_ACTION) < next(i for i, u in enumerate(uses) if u.startswith("pulumi/actions@"))
    [pulumi] = [step for job, step in pulumi_steps(workflow) if job == job_id]
    assert {"TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"} <= set(pulumi["env"])


def test_the_local_preview_needs_no_token():
    assert oidc_steps(load("pull-request.yml"), "preview-local") == []
    assert "permissions" not in load("pull-request.yml")["jobs"]["preview-local"]


def test_the_oidc_action_exports_the_variables_both_providers_read_and_masks_the_token():
    action = yaml.safe_load((GITHUB / "actions" / "tencentcloud-oidc" / "action.yml").read_text())
    [step] = action["runs"]["steps"]
    script = step["run"]
    exported = set(re.findall(r"echo \"(TENCENTCLOUD_[A-Z_]+)=", script))
    assert exported == {WEB_IDENTITY_ENV[name] for name in ("roleArn", "sessionName", "sessionDuration", "providerId", "webIdentityToken")}
    assert script.index("::add-mask::") < script.index('>> "$GITHUB_ENV"')
    assert "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=$AUDIENCE" in script and "set -euo pipefail" in script
    assert action["inputs"]["audience"]["default"] == "sts.tencentcloudapi.com"
    assert int(action["inputs"]["session-duration"]["default"]) > 180 * 60 / 0.8  # deploy.yml's timeout, renewal-free
    assert load("deploy.yml")["jobs"]["up"]["timeout-minutes"] <= 180
