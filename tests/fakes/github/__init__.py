"""A fake GitHub for tests and benchmarks, validated against GitHub's OpenAPI description."""

from tests.fakes.github.contract import Contract, ContractViolation
from tests.fakes.github.server import FakeGitHub, Fault, Stats

__all__ = ["Contract", "ContractViolation", "FakeGitHub", "Fault", "Stats"]
