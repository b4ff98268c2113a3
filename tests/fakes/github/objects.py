"""JSON objects shaped as GitHub's REST API returns them (users, labels, issues, comments).

Each builder fills every field the OpenAPI description requires, so the fake's answers
pass the contract check and githubkit's typed models parse them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any


def iso(moment: datetime) -> str:
    """GitHub's timestamp form: ``2026-01-01T00:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_seconds(epoch: float) -> str:
    """`iso` of a Unix time."""
    return iso(datetime.fromtimestamp(epoch, UTC))


def node_id(kind: str, number: int) -> str:
    """A stable opaque node id."""
    return hashlib.sha1(f"{kind}:{number}".encode()).hexdigest()[:20]  # noqa: S324 - an id, not security


def user(base: str, web: str, login: str, uid: int, kind: str = "User") -> dict[str, Any]:
    """A ``simple-user``."""
    url = f"{base}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("user", uid),
        "avatar_url": f"{web}/avatars/{login}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{web}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "site_admin": False,
    }


def label(
    repo_url: str, lid: int, name: str, color: str, description: str | None
) -> dict[str, Any]:
    """A ``label``."""
    return {
        "id": lid,
        "node_id": node_id("label", lid),
        "url": f"{repo_url}/labels/{name}",
        "name": name,
        "description": description,
        "color": color,
        "default": False,
    }
