"""The OpenAPI contract catches what the real API would refuse or never send."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.github import Contract, ContractViolation, FakeGitHub


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.load()


def test_requests_are_checked(contract: Contract) -> None:
    op = contract.check_request("POST", "/repos/a/b/issues", {}, {"title": "t", "labels": ["x"]})
    assert op.template == "/repos/{owner}/{repo}/issues"
    with pytest.raises(ContractViolation, match="not a documented"):
        contract.check_request("POST", "/repos/a/b/issue", {}, {"title": "t"})
    with pytest.raises(ContractViolation, match="undocumented query 'labelz'"):
        contract.check_request("GET", "/repos/a/b/issues", {"labelz": ["x"]}, None)
    with pytest.raises(ContractViolation, match="labels"):
        contract.check_request("POST", "/repos/a/b/issues", {}, {"title": "t", "labels": "x"})
    with pytest.raises(ContractViolation, match="body required"):
        contract.check_request("POST", "/repos/a/b/issues", {}, None)
    with pytest.raises(ContractViolation, match="state"):
        contract.check_request("PATCH", "/repos/a/b/issues/1", {}, {"state": "gone"})


def test_responses_are_checked(contract: Contract) -> None:
    op = contract.operation("POST", "/repos/a/b/issues")
    with pytest.raises(ContractViolation, match="required property"):
        contract.check_response(op, 201, {"id": 1})
    with pytest.raises(ContractViolation, match="undeclared status 418"):
        contract.check_response(op, 418, {"message": "teapot"})
    contract.check_response(op, 502, None)  # any endpoint may meet GitHub's edge failing
    pulls = contract.operation("POST", "/repos/a/b/pulls")
    contract.check_response(pulls, 201, contract.instance("pull-request"))


def test_the_fake_refuses_and_records_a_request_github_would_refuse() -> None:
    with FakeGitHub() as fake:
        response = httpx.post(
            f"{fake.url}/repos/acme/shop/issues",
            json={"title": 5.5},
            headers={"authorization": f"token {fake.token}"},
        )
        assert response.status_code == 400
        assert len(fake.violations) == 1 and "title" in fake.violations[0]
        assert fake.stats.creates == 0
        denied = httpx.get(
            f"{fake.url}/repos/acme/shop/issues", headers={"authorization": "token wrong"}
        )
        assert denied.status_code == 401
