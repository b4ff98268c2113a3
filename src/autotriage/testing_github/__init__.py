"""A fake GitHub for tests and benchmarks, validated against GitHub's OpenAPI description."""

from autotriage.testing_github.contract import Contract, ContractViolation
from autotriage.testing_github.server import FakeGitHub, Fault, Stats

__all__ = ["Contract", "ContractViolation", "FakeGitHub", "Fault", "Stats"]
