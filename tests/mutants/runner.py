"""Plant one mutant at a time in a scratch copy of the repository and run the tests that must catch it.

The copy holds the work tree's files (tracked ones and new ones git does not ignore) and links the repository's
.venv; each mutant is written into it, judged, and the file put back. No bytecode is written, so a mutant and its
original can never share a stale .pyc (which keys on whole seconds and the size).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .catalogue import Mutant

ROOT = Path(__file__).resolve().parents[2]
OUTCOME_LINE = ("FAILED ", "ERROR ")


class Verdict(str, Enum):
    KILLED = "killed"  # every named test file or node id had a failure
    SURVIVED = "survived"  # some named test passed with the bug in place
    HUNG = "hung"  # the tests did not finish within the per-mutant timeout
    NOT_APPLICABLE = "not-applicable"  # the text to replace is not in the file (once): the list needs updating
    BROKEN = "broken"  # pytest could not run the named tests (usage error, nothing collected, all skipped)


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    verdict: Verdict
    seconds: float
    detail: str


@dataclass(frozen=True)
class Run:
    returncode: int | None  # None: killed at the timeout
    output: str


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def scratch_copy() -> Path:
    """The work tree's files in a new temporary directory, with the repository's .venv linked in."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    target = Path(tempfile.mkdtemp(prefix="cvm-mutants-"))
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if name.split("/")[0] == ".venv" or not source.is_file():
            continue  # .venv is linked below; a file deleted in the work tree is left out
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    (target / ".venv").symlink_to((ROOT / ".venv").resolve())
    return target


def _environment() -> dict[str, str]:
    """Bytecode off; the Pulumi CLI and Go binaries on PATH, as scripts/test puts them."""
    home = Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi"))
    extra = [str(home / "bin"), str(Path.home() / "go" / "bin")]
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PATH": os.pathsep.join([*extra, os.environ.get("PATH", "")])}


def run_tests(where: Path, tests: tuple[str, ...], timeout: float) -> Run:
    """pytest on `tests` in `where`, in a process group of its own that is killed at the timeout."""
    command = [python(), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", *tests]
    process = subprocess.Popen(
        command, cwd=where, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return Run(None, output)
    return Run(process.returncode, output)


def failed_nodes(output: str) -> list[str]:
    """The node ids (or files, for a collection error) of pytest's short summary FAILED and ERROR lines."""
    nodes = []
    for line in output.splitlines():
        if line.startswith(OUTCOME_LINE):
            nodes.append(line.split(" ", 1)[1].split(" - ", 1)[0].strip())
    return nodes


def caught_by(entry: str, failures: list[str]) -> bool:
    """A named file or node id caught the mutant if one of its tests (or its collection) failed."""
    file = entry.split("::", 1)[0]
    return any(node == entry or node.startswith((entry + "::", entry + "[")) or node == file for node in failures)


def judge(run: Run, tests: tuple[str, ...]) -> tuple[Verdict, str]:
    if run.returncode is None:
        return Verdict.HUNG, "timed out"
    if run.returncode not in (0, 1, 2):
        return Verdict.BROKEN, f"pytest exited {run.returncode}: {last_line(run.output)}"
    failures = failed_nodes(run.output)
    missed = [entry for entry in tests if not caught_by(entry, failures)]
    if not missed:
        return Verdict.KILLED, ", ".join(sorted(set(failures)))
    if run.returncode == 0 and " passed" not in last_line(run.output):
        return Verdict.BROKEN, f"the named tests did not run: {last_line(run.output)}"
    return Verdict.SURVIVED, "not caught by " + ", ".join(missed)


def last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def plant(where: Path, mutant: Mutant, timeout: float) -> Outcome:
    """Apply the mutant in the scratch copy `where`, run its tests, put the file back."""
    path = where / mutant.path
    original = path.read_text() if path.exists() else ""
    found = original.count(mutant.find)
    if found != 1:
        return Outcome(mutant, Verdict.NOT_APPLICABLE, 0.0, f"the text to replace is in {mutant.path} {found} times, not once")
    started = time.monotonic()
    try:
        path.write_text(original.replace(mutant.find, mutant.replace))
        run = run_tests(where, mutant.tests, timeout)
    finally:
        path.write_text(original)
    verdict, detail = judge(run, mutant.tests)
    return Outcome(mutant, verdict, time.monotonic() - started, detail)
