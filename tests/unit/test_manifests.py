"""The ready-made integration manifests, checked against the vendors' published schemas."""

from __future__ import annotations

import gzip
import json
from typing import Any

import jsonschema
import pytest

from tests.support import FIXTURES, REPO_ROOT

INTEGRATIONS = REPO_ROOT / "docs" / "integrations"
GITHUB_OPENAPI = REPO_ROOT / "tests" / "contracts" / "github-rest-openapi.json.gz"
# The fields GitHub's manifest flow reads (docs.github.com, "Registering a GitHub App from a
# manifest"); the OpenAPI description has no schema for the manifest itself.
GITHUB_MANIFEST_FIELDS = {
    "name",
    "url",
    "hook_attributes",
    "redirect_url",
    "callback_urls",
    "setup_url",
    "description",
    "public",
    "default_events",
    "default_permissions",
    "request_oauth_on_install",
    "setup_on_update",
}


def load(name: str) -> Any:
    return json.loads((INTEGRATIONS / name).read_text())


def test_slack_manifest_matches_the_schema_and_asks_only_for_what_is_used() -> None:
    schema = json.loads((FIXTURES / "manifests" / "slack-app-manifest.schema.json").read_text())
    manifest = load("slack-app-manifest.json")
    jsonschema.validate(manifest, schema)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "channels:history",
        "groups:history",
        "chat:write",
        "commands",
    }
    assert manifest["settings"]["event_subscriptions"]["request_url"].endswith("/webhook/slack")
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/autotriage"
    assert command["url"].endswith("/webhook/slack/commands")


def test_a_broken_slack_manifest_is_refused_by_the_schema() -> None:
    schema = json.loads((FIXTURES / "manifests" / "slack-app-manifest.schema.json").read_text())
    manifest = load("slack-app-manifest.json")
    manifest["features"]["slash_commands"][0]["command"] = "autotriage"  # no leading slash
    with pytest.raises(jsonschema.ValidationError, match="does not match"):
        jsonschema.validate(manifest, schema)


def test_github_app_manifest_has_least_permissions_and_real_events() -> None:
    spec = json.loads(gzip.decompress(GITHUB_OPENAPI.read_bytes()))
    permissions = dict(spec["components"]["schemas"]["app-permissions"])
    permissions["additionalProperties"] = False
    manifest = load("github-app-manifest.json")
    assert set(manifest) <= GITHUB_MANIFEST_FIELDS
    jsonschema.validate(manifest["default_permissions"], permissions)
    assert manifest["default_permissions"] == {
        "issues": "write",
        "pull_requests": "write",
        "contents": "write",
        "metadata": "read",
    }
    events = {hook["post"]["x-github"]["subcategory"] for hook in spec["x-webhooks"].values()}
    assert set(manifest["default_events"]) <= events
    assert manifest["hook_attributes"]["url"].endswith("/webhook/github")


def test_the_sentry_guide_names_its_webhook_and_permissions() -> None:
    guide = (INTEGRATIONS / "README.md").read_text()
    for needed in ("/webhook/sentry", "Issue & Event", "SENTRY_CLIENT_SECRET", "issue"):
        assert needed in guide
