"""Sentry's web API: an issue's latest event, and polling unresolved issues.

Docs: https://docs.sentry.io/api/events/retrieve-an-issue-event/ (latest event),
https://docs.sentry.io/api/events/list-a-projects-issues/ (issues),
https://docs.sentry.io/api/pagination/ (``Link`` header cursors) and
https://docs.sentry.io/api/ratelimits/ (``X-Sentry-Rate-Limit-*``).

API events differ from the SDK protocol: fields are camelCase, the exception and
request sit in ``entries``, tags are ``{key, value}`` objects and frames carry
``absPath``/``lineNo``/``inApp``/``context``. `protocol_event` converts one into the
protocol shape so `sentry.event_from_sentry` maps both the same way.

`poll_page` fetches one page per call and returns the next cursor; the caller owns the
loop and the waiting (``retry_after`` says how long Sentry asked us to wait).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from autotriage.errors import SentryApiError
from autotriage.models import ErrorEvent
from autotriage.sources.sentry import event as sentry
from autotriage.sources.sentry.webhooks import event_from_issue

_LINK = re.compile(
    r'<(?P<url>[^>]*)>;\s*rel="(?P<rel>\w+)";\s*results="(?P<results>\w+)"'
    r';\s*cursor="(?P<cursor>[^"]*)"'
)


def _frame(raw: dict[str, Any]) -> dict[str, Any]:
    context: list[Any] = raw["context"] if isinstance(raw.get("context"), list) else []
    lineno = raw.get("lineNo")
    pre, line, post = [], None, []
    for pair in context:
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int):
            if lineno is not None and pair[0] < lineno:
                pre.append(pair[1])
            elif pair[0] == lineno:
                line = pair[1]
            else:
                post.append(pair[1])
    return {
        "filename": raw.get("filename"),
        "abs_path": raw.get("absPath"),
        "module": raw.get("module"),
        "function": raw.get("function") or raw.get("rawFunction"),
        "lineno": lineno,
        "colno": raw.get("colNo"),
        "in_app": raw.get("inApp") is True,
        "context_line": line,
        "pre_context": pre,
        "post_context": post,
    }


def protocol_event(api_event: dict[str, Any]) -> dict[str, Any]:
    """Convert an API event (``/events/latest/``) to the SDK event protocol's shape."""
    event: dict[str, Any] = {
        "event_id": api_event.get("eventID") or api_event.get("id"),
        "timestamp": api_event.get("dateCreated"),
        "platform": api_event.get("platform"),
        "message": api_event.get("message"),
        "title": api_event.get("title"),
        "culprit": api_event.get("culprit"),
        "issue_id": api_event.get("groupID"),
        "tags": [
            [t.get("key"), t.get("value")]
            for t in api_event.get("tags") or []
            if isinstance(t, dict)
        ],
        "user": api_event.get("user"),
        "sdk": api_event.get("sdk"),
        "contexts": api_event.get("contexts"),
    }
    tags = dict(event["tags"])
    event["level"] = tags.get("level")
    event["environment"] = tags.get("environment")
    event["release"] = (
        (api_event.get("release") or {}).get("version")
        if isinstance(api_event.get("release"), dict)
        else tags.get("release")
    )
    event["server_name"] = tags.get("server_name")
    for entry in api_event.get("entries") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), dict):
            continue
        data = entry["data"]
        if entry.get("type") == "exception":
            values = []
            for value in data.get("values") or []:
                stack = value.get("stacktrace") or {}
                frames = [_frame(f) for f in stack.get("frames") or [] if isinstance(f, dict)]
                values.append(
                    {
                        "type": value.get("type"),
                        "value": value.get("value"),
                        "module": value.get("module"),
                        "stacktrace": {"frames": frames},
                    }
                )
            event["exception"] = {"values": values}
        elif entry.get("type") == "request":
            event["request"] = data
    return event


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _check(response: httpx.Response) -> None:
    if response.status_code == 429:
        raise SentryApiError("Sentry rate-limited us", retry_after=rate_limit_wait(response))
    if response.status_code >= 400:
        raise SentryApiError(f"Sentry answered {response.status_code} for {response.url.path}")


def rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds Sentry asks us to wait (``Retry-After`` or an exhausted rate-limit window)."""
    retry = response.headers.get("retry-after")
    if retry and retry.replace(".", "", 1).isdigit():
        return float(retry)
    remaining = response.headers.get("x-sentry-rate-limit-remaining")
    reset = response.headers.get("x-sentry-rate-limit-reset")
    if remaining == "0" and reset and reset.replace(".", "", 1).isdigit():
        # The reset is an epoch time; measure it against Sentry's own Date header so
        # our clock's skew does not matter.
        try:
            now = parsedate_to_datetime(response.headers.get("date", "")).timestamp()
        except (TypeError, ValueError):
            return 1.0
        return max(1.0, float(reset) - now)
    return None


def latest_event(
    client: httpx.Client,
    base_url: str,
    token: str,
    issue_id: str,
    org: str | None = None,
    *,
    timeout: float | None = None,
) -> ErrorEvent:
    """The latest event of Sentry issue `issue_id`, with its frames.

    The id comes from a webhook body: only digits are taken, and every path segment is
    quoted, so no id can steer the call to another path of the API (with our token).
    `timeout` (seconds) replaces the client's own for this one call.
    """
    if not issue_id.isascii() or not issue_id.isdigit():
        raise SentryApiError("a Sentry issue id is digits only")
    base = base_url.rstrip("/")
    path = (
        f"/api/0/organizations/{quote(org, safe='')}/issues/{issue_id}/events/latest/"
        if org
        else f"/api/0/issues/{issue_id}/events/latest/"
    )
    try:
        response = client.get(
            base + path,
            headers=_headers(token),
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
    except httpx.HTTPError as exc:
        raise SentryApiError(f"could not reach Sentry: {type(exc).__name__}") from None
    _check(response)
    body = response.json()
    if not isinstance(body, dict):
        raise SentryApiError("Sentry's latest event is not an object")
    event = protocol_event(body)
    event.setdefault("issue_id", issue_id)
    if not event.get("issue_id"):
        event["issue_id"] = issue_id
    return sentry.event_from_sentry(event)


@dataclass
class Page:
    """One page of the unresolved-issues poll."""

    events: list[ErrorEvent] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    more: bool = False
    retry_after: float | None = None


def next_cursor(link_header: str | None) -> str | None:
    """The ``next`` cursor of a ``Link`` header, when it says more results exist."""
    for match in _LINK.finditer(link_header or ""):
        if match["rel"] == "next" and match["results"] == "true":
            return match["cursor"]
    return None


def poll_page(
    client: httpx.Client,
    base_url: str,
    token: str,
    org: str,
    project: str,
    cursor: dict[str, Any] | None,
) -> Page:
    """Fetch one page of unresolved issues first seen since the cursor, each latest event.

    The cursor is ``{"since": iso time or None, "page": Sentry cursor or None,
    "newest": newest firstSeen so far}``; a finished walk moves ``since`` to ``newest``.
    """
    state = dict(cursor or {})
    query = "is:unresolved"
    if state.get("since"):
        query += f" firstSeen:>={state['since']}"
    params = {"query": query, "sort": "new", "limit": "25"}
    if state.get("page"):
        params["cursor"] = state["page"]
    base = base_url.rstrip("/")
    # Configuration, not input, yet each slug stays one quoted path segment.
    listing = f"{base}/api/0/projects/{quote(org, safe='')}/{quote(project, safe='')}/issues/"
    try:
        response = client.get(listing, params=params, headers=_headers(token))
    except httpx.HTTPError as exc:
        raise SentryApiError(f"could not reach Sentry: {type(exc).__name__}") from None
    _check(response)
    issues = response.json()
    page = Page(retry_after=rate_limit_wait(response))
    newest = state.get("newest")
    for issue in issues if isinstance(issues, list) else []:
        if not isinstance(issue, dict) or not issue.get("id"):
            continue
        first_seen = issue.get("firstSeen")
        if isinstance(first_seen, str) and (newest is None or first_seen > newest):
            newest = first_seen
        try:
            page.events.append(latest_event(client, base, token, str(issue["id"]), org))
        except SentryApiError as exc:
            if exc.retry_after is not None:
                page.retry_after = exc.retry_after
                break  # stop here; this page is fetched again next time
            page.events.append(event_from_issue(issue))
    following = next_cursor(response.headers.get("link"))
    if page.retry_after is not None and len(page.events) < len(issues):
        page.cursor = state
    elif following:
        page.cursor, page.more = {**state, "page": following, "newest": newest}, True
    else:
        page.cursor = {"since": newest or state.get("since"), "page": None, "newest": newest}
    return page
