"""Same bug with different data shares a fingerprint; different bugs do not."""

from __future__ import annotations

import json

import pytest

from autotriage.errors import RulesInvalid
from autotriage.models import ErrorEvent, ExceptionInfo, Frame
from autotriage.understanding.fingerprint import (
    FINGERPRINT_VERSION,
    GroupingConfig,
    InAppRules,
    compute_fingerprint,
    legacy_hashes,
    load_rules,
)
from autotriage.understanding.scrub import scrub_event
from autotriage.understanding.text import parse_text
from tests.support import fixture_path

TRACES = fixture_path("traces")
RECURSION_PY = "/work/wt/understanding/tests/fixtures/traces/programs/python/recursion.py"


def _fp(text: str) -> str:
    (event,) = parse_text(text)
    return compute_fingerprint(scrub_event(event)).primary


def _fixture(name: str) -> str:
    return (TRACES / name).read_text()


PY_CHARGE = """\
{ts} ERROR [orders.worker] charge failed for {user}
Traceback (most recent call last):
  File "{root}/orders/worker.py", line {l1}, in <module>
    charge(order_id, amount)
  File "{root}/orders/worker.py", line {l2}, in charge
    raise ValueError(f"negative amount {{amount}} for order {{order_id}}")
ValueError: negative amount {amount} for order {order}
"""

SAME_BUG = [
    pytest.param(
        PY_CHARGE.format(
            ts="2024-03-07 10:15:02,001",
            user="ann@example.com",
            root="/srv/app/releases/20240307",
            l1=14,
            l2=10,
            amount=-5,
            order="ord_8f3a",
        ),
        PY_CHARGE.format(
            ts="2024-03-09 23:01:59,999",
            user="bob@example.org",
            root="/var/task",
            l1=19,
            l2=12,
            amount=-120,
            order="ord_77c1d2",
        ),
        id="python-ids-users-paths-lines",
    ),
    pytest.param(
        _fixture("java/orders.txt"),
        _fixture("java/orders.txt")
        .replace("A-1001", "Z-77")
        .replace("twelve", "zwölf")
        .replace("Orders.java:13", "Orders.java:15"),
        id="java-order-ids-and-input",
    ),
    pytest.param(
        _fixture("node/async_error.txt"),
        _fixture("node/async_error.txt").replace("7781", "12").replace(":5:9", ":6:11"),
        id="node-row-ids-and-columns",
    ),
    pytest.param(
        _fixture("go/index_out_of_range.txt"),
        _fixture("go/index_out_of_range.txt")
        .replace("[5] with length 3", "[9] with length 2")
        .replace("0xc000012345", "0xc0000aa000")
        .replace("+0x1d", "+0x2f"),
        id="go-index-and-addresses",
    ),
    pytest.param(
        _fixture("python/recursion.txt"),
        _fixture("python/recursion.txt").replace(
            "  [Previous line repeated 996 more times]",
            f'  File "{RECURSION_PY}", line 5, in walk\n'
            "    return walk(node + 1)\n  [Previous line repeated 995 more times]",
        ),
        id="python-recursion-depth",
    ),
    pytest.param(
        "2024-03-07T10:15:02Z ERROR payment 9f1c2e4a-1b2c-4d5e-8f90-123456789abc failed for user"
        " 42 after 1532ms (request_id=req_8fa2c1, host=10.0.3.7, url=https://api.stripe.com/v1/ch/1)",
        "2024-03-08T01:00:00Z ERROR payment 0b2d4f6a-9e8d-4c7b-a6f5-fedcba987654 failed for user"
        " 31337 after 12ms (request_id=req_00aa, host=10.9.9.9, url=https://api.stripe.com/v1/ch/99)",
        id="message-uuids-numbers-durations-ids-ips-urls",
    ),
    pytest.param(
        "ERROR could not reach db-7.eu-west-1.internal on 2024-03-07 as user='svc_a' token=abc12",
        "ERROR could not reach db-2.eu-west-1.internal on 2025-11-30 as user='svc_b' token=zz99o",
        id="message-hostnames-dates-quoted-and-secrets",
    ),
    pytest.param(
        'KeyError: "user 17 not in cache at 0x7f3a2b1c4d50"',
        'KeyError: "user 902 not in cache at 0x7f00aa11bb22"',
        id="frameless-exception-value",
    ),
]

DIFFERENT_BUGS = [
    pytest.param(
        _fixture("python/caret.txt"),
        _fixture("python/caret.txt").replace("in total", "in subtotal"),
        id="python-same-type-other-function",
    ),
    pytest.param(
        _fixture("java/npe.txt"),
        _fixture("java/npe.txt").replace("Npe.region(Npe.java:12)", "Npe.country(Npe.java:30)"),
        id="java-npe-other-method",
    ),
    pytest.param(
        _fixture("node/type_error.txt"),
        _fixture("node/type_error.txt").replace("renderUser (", "renderAvatar ("),
        id="node-type-error-other-function",
    ),
    pytest.param(
        "ERROR payment failed for user 42",
        "ERROR connection refused for user 42",
        id="message-other-words",
    ),
    pytest.param(
        "KeyError: 'sku'",
        "KeyError: 'price'",
        id="frameless-keyerror-other-key",
    ),
    pytest.param(
        "ValueError: invalid literal for int()",
        "TypeError: invalid literal for int()",
        id="frameless-other-type",
    ),
]


@pytest.mark.parametrize(("first", "second"), SAME_BUG)
def test_same_bug_different_data_shares_a_fingerprint(first: str, second: str) -> None:
    assert first != second
    assert _fp(first) == _fp(second)


@pytest.mark.parametrize(("first", "second"), DIFFERENT_BUGS)
def test_different_bugs_do_not(first: str, second: str) -> None:
    assert _fp(first) != _fp(second)


def _event(**fields: object) -> ErrorEvent:
    frames = [
        Frame(filename="lib/http.py", function="send", in_app=False),
        Frame(filename="app/billing.py", module="app.billing", function="charge", in_app=True),
    ]
    base: dict[str, object] = {
        "source": "sentry",
        "message": "boom",
        "exceptions": [ExceptionInfo(type="ConnectionError", value="refused", frames=frames)],
    }
    base.update(fields)
    return ErrorEvent.model_validate(base)


def test_hashes_are_primary_then_all_frames_and_versioned() -> None:
    fp = compute_fingerprint(_event())
    assert fp.version == FINGERPRINT_VERSION == 3
    assert fp.variant == "app"
    assert fp.hashes[0] == fp.primary
    assert len(fp.hashes) == 2  # in-app stack and all-frames stack differ
    # Version 2's in-app and all-frames hashes, then version 1's.
    assert len(fp.legacy) == 3
    assert fp.legacy[2:] == legacy_hashes(_event())
    assert not set(fp.legacy) & set(fp.hashes)
    assert fp.lookup == (*fp.hashes, *fp.legacy)


def test_version_2_hashes_use_its_own_template() -> None:
    # Version 3 masks the path and the unit; version 2 kept them, so its hash differs and
    # stays findable.
    first = _event(message="cannot read /etc/app/a.conf (1.2 KB)", exceptions=[])
    second = _event(message="cannot read /etc/app/b.conf (9 KB)", exceptions=[])
    fp1, fp2 = compute_fingerprint(first), compute_fingerprint(second)
    assert fp1.primary == fp2.primary
    assert fp1.legacy[0] != fp2.legacy[0]
    assert fp1.legacy[0] not in fp1.hashes


def test_a_change_of_in_app_detection_keeps_the_all_frames_hash() -> None:
    before = compute_fingerprint(_event())
    config = GroupingConfig(in_app=InAppRules(include=("lib/",)))
    after = compute_fingerprint(_event(), config)
    assert after.primary != before.primary
    assert before.hashes[1] in after.hashes


def test_in_app_exclude_prefix_wins() -> None:
    config = GroupingConfig(in_app=InAppRules(("app.",), ("app.billing",)))
    fp = compute_fingerprint(_event(), config)
    assert fp.variant == "system"


def test_sentry_fingerprint_hint() -> None:
    default = compute_fingerprint(_event()).primary
    assert compute_fingerprint(_event(fingerprint_hint=["{{ default }}"])).primary == default
    custom_a = compute_fingerprint(_event(fingerprint_hint=["payments-down"]))
    custom_b = compute_fingerprint(
        _event(fingerprint_hint=["payments-down"], exceptions=[ExceptionInfo(type="Timeout")])
    )
    assert custom_a.primary == custom_b.primary != default
    assert custom_a.variant == "hint"
    tenant_a = compute_fingerprint(_event(fingerprint_hint=["{{ default }}", "tenant-a"]))
    tenant_b = compute_fingerprint(_event(fingerprint_hint=["{{ default }}", "tenant-b"]))
    assert tenant_a.primary != tenant_b.primary
    assert default not in tenant_a.hashes
    by_type = compute_fingerprint(_event(fingerprint_hint=["{{ error.type }}"]))
    other_stack = compute_fingerprint(
        _event(
            fingerprint_hint=["{{ error.type }}"],
            exceptions=[ExceptionInfo(type="ConnectionError", value="x")],
        )
    )
    assert by_type.primary == other_stack.primary


def test_project_rules_take_precedence() -> None:
    rules = load_rules(
        json.dumps(
            [
                {
                    "match": {"type": "ConnectionError", "path": "**/billing.py"},
                    "fingerprint": ["billing-down"],
                },
                {
                    "match": {"message": "*timed out*", "tags.service": "api"},
                    "fingerprint": ["{{ default }}", "api-timeouts"],
                },
            ]
        )
    )
    config = GroupingConfig(rules=rules)
    hinted = compute_fingerprint(_event(fingerprint_hint=["something-else"]), config)
    other_value = compute_fingerprint(
        _event(
            exceptions=[
                ExceptionInfo(
                    type="ConnectionError",
                    value="reset",
                    frames=[Frame(filename="svc/billing.py", function="x", in_app=True)],
                )
            ]
        ),
        config,
    )
    assert hinted.variant == "rule"
    assert hinted.primary == other_value.primary
    timeout = _event(message="job timed out", exceptions=[], tags={"service": "api"})
    plain = compute_fingerprint(timeout)
    ruled = compute_fingerprint(timeout, config)
    assert ruled.primary != plain.primary
    assert (
        compute_fingerprint(timeout.model_copy(update={"tags": {"service": "web"}}), config).primary
        == plain.primary
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[1]", "rule 1: must be an object"),
        ('[{"match": {}, "fingerprint": ["x"]}]', "rule 1: 'match' must be a non-empty object"),
        (
            '[{"match": {"type": "X"}, "fingerprint": []}]',
            "rule 1: 'fingerprint' must be a non-empty list",
        ),
        ('[{"match": {"colour": "X"}, "fingerprint": ["x"]}]', "unknown matcher 'colour'"),
        ("{not json", "cannot read rules file"),
        ("[not json", "not valid JSON"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(config: str, message: str) -> None:
    with pytest.raises(RulesInvalid, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_rules(config)


def test_rules_from_a_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "rules.json"
    path.write_text('[{"match": {"type": "Timeout*"}, "fingerprint": ["timeouts"]}]')
    (rule,) = load_rules(str(path))
    assert rule.matches(_event(exceptions=[ExceptionInfo(type="TimeoutError")]))
    assert not rule.matches(_event())


def test_a_secret_never_splits_a_group() -> None:
    def leaked(key: str) -> ErrorEvent:
        pem = f"-----BEGIN PRIVATE KEY-----\n{key}\n-----END PRIVATE KEY-----"
        return _event(message=f"cannot load signing key {pem}", exceptions=[])

    first, second = leaked("MIIEvQIBADANBgkqhkiG"), leaked("QUJDREVGR0hJSktMTU5P")
    assert compute_fingerprint(first).primary != compute_fingerprint(second).primary
    assert (
        compute_fingerprint(scrub_event(first)).primary
        == compute_fingerprint(scrub_event(second)).primary
    )
