"""`python -m tests.mutants [--only NAME ...] [--jobs N] [--timeout SECONDS] [--list]`

Checks first that the named tests pass on the unchanged copy, then plants each mutant alone and reports it killed,
survived, hung, not-applicable or broken. Exits 1 when any mutant survived, no longer applies or could not be judged
(the list, or the tests, need work), 2 when the tests fail without any mutant.
"""

import argparse
import queue
import shutil
import sys
import threading
from collections import Counter
from pathlib import Path

from .catalogue import MUTANTS, Mutant
from .runner import Outcome, Verdict, last_line, plant, run_tests, scratch_copy

FAILING = (Verdict.SURVIVED, Verdict.NOT_APPLICABLE, Verdict.BROKEN)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__.split("\n\n")[1])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--jobs", type=int, default=2, help="scratch copies judging mutants at once (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a mutant's tests may take (default 300)")
    parser.add_argument("--list", action="store_true", help="list the mutants and the tests that must catch each")
    return parser.parse_args()


def chosen(only: list[str] | None) -> list[Mutant]:
    if not only:
        return list(MUTANTS)
    unknown = set(only) - {mutant.name for mutant in MUTANTS}
    if unknown:
        sys.exit(f"no such mutant: {', '.join(sorted(unknown))}")
    return [mutant for mutant in MUTANTS if mutant.name in only]


def baseline(where: Path, mutants: list[Mutant], timeout: float) -> None:
    """Every named test passes without a mutant; else nothing can be judged (exit 2, with pytest's output)."""
    tests = tuple(dict.fromkeys(test for mutant in mutants for test in mutant.tests))
    run = run_tests(where, tests, timeout * 2)
    if run.returncode != 0 or " passed" not in last_line(run.output):
        print(run.output[-4000:])
        sys.exit(2)
    print(f"baseline: {len(tests)} test files or node ids pass without a mutant", flush=True)


def judge_all(mutants: list[Mutant], copies: list[Path], timeout: float) -> list[Outcome]:
    """Each scratch copy takes the next mutant until none is left; outcomes are printed as they come."""
    todo: queue.Queue[Mutant] = queue.Queue()
    for mutant in mutants:
        todo.put(mutant)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def work(where: Path) -> None:
        while True:
            try:
                mutant = todo.get_nowait()
            except queue.Empty:
                return
            outcome = plant(where, mutant, timeout)
            with lock:
                outcomes.append(outcome)
                print(f"{outcome.verdict.value:15} {mutant.name:34} {outcome.seconds:6.1f} s  {outcome.detail}", flush=True)

    workers = [threading.Thread(target=work, args=(where,)) for where in copies]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


def main() -> int:
    args = arguments()
    mutants = chosen(args.only)
    if args.list:
        for mutant in mutants:
            print(f"{mutant.name}: {mutant.bug}\n  {mutant.path}\n  caught by {', '.join(mutant.tests)}")
        return 0
    copies = [scratch_copy() for _ in range(max(1, min(args.jobs, len(mutants))))]
    try:
        baseline(copies[0], mutants, args.timeout)
        outcomes = judge_all(mutants, copies, args.timeout)
    finally:
        for where in copies:
            shutil.rmtree(where, ignore_errors=True)
    counts = Counter(outcome.verdict for outcome in outcomes)
    print(", ".join(f"{verdict.value} {counts[verdict]}" for verdict in Verdict))
    return 1 if any(counts[verdict] for verdict in FAILING) else 0


if __name__ == "__main__":
    sys.exit(main())
