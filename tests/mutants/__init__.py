"""The suite as a judge: small, realistic bugs planted one at a time in a scratch copy of the repository, each with
the tests that must catch it (`python -m tests.mutants`; catalogue.py lists them, runner.py plants and judges)."""
