"""The fake's issue tracker: issues, comments, labels, issue events and a lagging search index."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.fakes.github import objects

if TYPE_CHECKING:
    from tests.fakes.github.server import FakeGitHub

BODY_LIMIT = 65_536
BOT_LOGIN = "autotriage-bot"
APP_LOGIN = "autotriage[bot]"
PEOPLE = {"alice": 101, "bob": 102, "carol": 103, BOT_LOGIN: 900, APP_LOGIN: 901}


@dataclass
class FakeIssue:
    """One issue as the fake stores it."""

    number: int
    title: str
    body: str | None
    author: str
    labels: list[str]
    assignees: list[str]
    milestone: int | None
    created: float
    state: str = "open"
    state_reason: str | None = None
    closed: float | None = None
    updated: float = 0.0
    indexed: float = 0.0
    comments: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def _stamp(seconds: float) -> str:
    return objects.iso(datetime.fromtimestamp(seconds, UTC))


class IssueRoutes:
    """Issue, comment, label, search and rate-limit routes of the fake."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.items: dict[int, FakeIssue] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.next_number = 1
        self.next_id = 5000
        self.extra_routes: dict[tuple[str, str], Any] = {}
        self.created_bodies: list[dict[str, Any]] = []

    # ----- helpers
    @property
    def web_repo(self) -> str:
        """The repository's web address (for ``html_url``)."""
        return f"{self.fake.web_url}/{self.fake.owner}/{self.fake.repo}"

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def login(self, who: str) -> str:
        """The login acting for a credential kind."""
        return APP_LOGIN if who == "installation" else BOT_LOGIN

    def user(self, login: str) -> dict[str, Any]:
        """A simple-user for `login`."""
        kind = "Bot" if login.endswith("[bot]") else "User"
        return objects.user(self.fake.url, self.fake.web_url, login, PEOPLE.get(login, 999), kind)

    def _label(
        self, name: str, color: str = "ededed", description: str | None = None
    ) -> dict[str, Any]:
        found = self.labels.get(name.lower())
        if found is None:
            found = objects.label(self.fake.repo_url, self._id(), name, color, description)
            self.labels[name.lower()] = found
        return found

    def render(self, issue: FakeIssue) -> dict[str, Any]:
        """The REST ``issue`` object."""
        url = f"{self.fake.repo_url}/issues/{issue.number}"
        assignees = [self.user(a) for a in issue.assignees]
        return {
            "id": 10_000 + issue.number,
            "node_id": objects.node_id("issue", issue.number),
            "url": url,
            "repository_url": self.fake.repo_url,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{self.web_repo}/issues/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self.user(issue.author),
            "labels": [self._label(name) for name in issue.labels],
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": len(issue.comments),
            "closed_at": _stamp(issue.closed) if issue.closed else None,
            "created_at": _stamp(issue.created),
            "updated_at": _stamp(issue.updated or issue.created),
            "author_association": "NONE",
        }

    def _issue(self, params: dict[str, str]) -> FakeIssue:
        from tests.fakes.github.server import ApiError

        self._repo(params)
        number = int(params["issue_number"])
        if number not in self.items:
            raise ApiError(404, "Not Found")
        return self.items[number]

    def _repo(self, params: dict[str, str]) -> None:
        from tests.fakes.github.server import ApiError

        if (params.get("owner"), params.get("repo")) != (self.fake.owner, self.fake.repo):
            raise ApiError(404, "Not Found")

    def _validate_issue(self, body: dict[str, Any], creating: bool) -> None:
        from tests.fakes.github.server import ApiError

        problems = []
        if creating and not str(body.get("title") or "").strip():
            problems.append({"resource": "Issue", "code": "missing_field", "field": "title"})
        text = body.get("body")
        if isinstance(text, str) and len(text) > BODY_LIMIT:
            problems.append(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {BODY_LIMIT} characters)",
                }
            )
        for login in body.get("assignees") or []:
            if login not in self.fake.collaborators:
                problems.append(
                    {"resource": "Issue", "code": "invalid", "field": "assignees", "value": login}
                )
        if problems:
            raise ApiError(422, "Validation Failed", errors=problems, status="422")

    # ----- routing
    def route(
        self,
        template: str,
        method: str,
        params: dict[str, str],
        query: dict[str, list[str]],
        body: Any,
        who: str,
    ) -> tuple[int, dict[str, str], Any]:
        """Answer a documented operation; unknown ones are a 404 as on a real instance."""
        from tests.fakes.github.server import ApiError

        base = "/repos/{owner}/{repo}"
        q = {k: v[-1] for k, v in query.items()}
        now = time.time()
        if template == "/rate_limit":
            core = {
                "limit": self.fake.rate_limit,
                "used": self.fake.used.get(who, 0),
                "remaining": max(0, self.fake.rate_limit - self.fake.used.get(who, 0)),
                "reset": self.fake.reset_at,
            }
            return (
                200,
                {},
                {"resources": {"core": core, "search": {**core, "limit": 30}}, "rate": core},
            )
        if template == f"{base}/issues" and method == "POST":
            self._repo(params)
            self._validate_issue(body, creating=True)
            self.created_bodies.append(dict(body))
            issue = FakeIssue(
                number=self.next_number,
                title=str(body["title"]),
                body=body.get("body"),
                author=self.login(who),
                labels=[],
                assignees=list(body.get("assignees") or []),
                milestone=None,
                created=now,
                updated=now,
                indexed=now + self.fake.search_lag,
            )
            issue.labels = [self._label(str(n))["name"] for n in body.get("labels") or []]
            self.next_number += 1
            self.items[issue.number] = issue
            self.fake.stats.creates += 1
            return (
                201,
                {"location": f"{self.fake.repo_url}/issues/{issue.number}"},
                self.render(issue),
            )
        if template == f"{base}/issues" and method == "GET":
            self._repo(params)
            return self._list(q)
        if template == f"{base}/issues/{{issue_number}}" and method == "GET":
            return 200, {}, self.render(self._issue(params))
        if template == f"{base}/issues/{{issue_number}}" and method == "PATCH":
            issue = self._issue(params)
            self._validate_issue(body, creating=False)
            self.edit(issue, body, self.login(who), now)
            return 200, {}, self.render(issue)
        if template == f"{base}/issues/{{issue_number}}/comments":
            issue = self._issue(params)
            if method == "GET":
                return 200, {}, [self._comment_json(issue, c) for c in issue.comments]
            text = str(body.get("body", ""))
            if len(text) > BODY_LIMIT:
                raise ApiError(
                    422,
                    "Validation Failed",
                    errors=[
                        {
                            "resource": "IssueComment",
                            "code": "custom",
                            "field": "body",
                            "message": "body is too long",
                        }
                    ],
                    status="422",
                )
            comment = {"id": self._id(), "body": text, "author": self.login(who), "at": now}
            issue.comments.append(comment)
            issue.updated = now
            return 201, {}, self._comment_json(issue, comment)
        if template == f"{base}/issues/{{issue_number}}/assignees":
            # as GitHub: logins without push access are silently left out
            issue = self._issue(params)
            logins = [str(a) for a in body.get("assignees") or []]
            if method == "POST":
                added = [a for a in logins if a in self.fake.collaborators]
                issue.assignees += [a for a in added if a not in issue.assignees]
            else:
                issue.assignees = [a for a in issue.assignees if a not in logins]
            issue.updated = now
            return (201 if method == "POST" else 200), {}, self.render(issue)
        if template == f"{base}/issues/{{issue_number}}/events":
            issue = self._issue(params)
            return 200, {}, issue.events
        if template == f"{base}/labels" and method == "GET":
            self._repo(params)
            return 200, {}, list(self.labels.values())
        if template == f"{base}/labels" and method == "POST":
            self._repo(params)
            name = str(body["name"])
            if name.lower() in self.labels:
                raise ApiError(
                    422,
                    "Validation Failed",
                    errors=[{"resource": "Label", "code": "already_exists", "field": "name"}],
                    status="422",
                )
            return (
                201,
                {},
                self._label(name, str(body.get("color") or "ededed"), body.get("description")),
            )
        if template == f"{base}/labels/{{name}}" and method == "GET":
            self._repo(params)
            found = self.labels.get(params["name"].lower())
            if found is None:
                raise ApiError(404, "Not Found")
            return 200, {}, found
        if template == f"{base}/assignees/{{assignee}}":
            self._repo(params)
            if params["assignee"] in self.fake.collaborators:
                return 204, {}, None
            raise ApiError(404, "Not Found")
        if template == "/search/issues":
            return self._search(q, now)
        handler = self.extra_routes.get((method, template))
        if handler is not None:
            self._repo(params)
            from tests.fakes.github.repo import Call

            result: tuple[int, dict[str, str], Any] = handler(Call(params, q, body, who))
            return result
        raise ApiError(404, "Not Found")

    def edit(self, issue: FakeIssue, body: dict[str, Any], actor: str, now: float) -> None:
        """Apply a PATCH (or a person's edit) and record state-change events."""
        if body.get("title") is not None:
            issue.title = str(body["title"])
        if "body" in body:
            issue.body = body["body"]
        if body.get("labels") is not None:
            issue.labels = [self._label(str(n))["name"] for n in body["labels"]]
        if body.get("assignees") is not None:
            issue.assignees = list(body["assignees"])
        state = body.get("state")
        if state in ("open", "closed") and state != issue.state:
            issue.state = state
            issue.state_reason = body.get("state_reason") or (
                "completed" if state == "closed" else "reopened"
            )
            issue.closed = now if state == "closed" else None
            event = "closed" if state == "closed" else "reopened"
            self.add_event(issue, event, actor, body.get("commit_id"), now)
        issue.updated = now
        issue.indexed = now + self.fake.search_lag

    def add_event(
        self, issue: FakeIssue, event: str, actor: str, commit: str | None, now: float
    ) -> None:
        """Record an issue event (``closed`` may name the commit that closed it)."""
        eid = self._id()
        issue.events.append(
            {
                "id": eid,
                "node_id": objects.node_id("event", eid),
                "url": f"{self.fake.repo_url}/issues/events/{eid}",
                "actor": self.user(actor),
                "event": event,
                "commit_id": commit,
                "commit_url": f"{self.fake.repo_url}/commits/{commit}" if commit else None,
                "created_at": _stamp(now),
                "performed_via_github_app": None,
            }
        )

    def _comment_json(self, issue: FakeIssue, comment: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.fake.repo_url}/issues/comments/{comment['id']}"
        return {
            "id": comment["id"],
            "node_id": objects.node_id("comment", comment["id"]),
            "url": url,
            "html_url": f"{self.web_repo}/issues/{issue.number}#issuecomment-{comment['id']}",
            "issue_url": f"{self.fake.repo_url}/issues/{issue.number}",
            "body": comment["body"],
            "user": self.user(comment["author"]),
            "created_at": _stamp(comment["at"]),
            "updated_at": _stamp(comment["at"]),
            "author_association": "NONE",
        }

    def _list(self, q: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        state = q.get("state", "open")
        wanted = [n.strip().lower() for n in q.get("labels", "").split(",") if n.strip()]
        rows = [
            i
            for i in self.items.values()
            if (state == "all" or i.state == state)
            and all(w in [x.lower() for x in i.labels] for w in wanted)
        ]
        rows.sort(key=lambda i: i.created, reverse=q.get("direction", "desc") == "desc")
        return self._page(rows, q, lambda i: self.render(i), "issues")

    def _page(
        self, rows: list[Any], q: dict[str, str], render: Any, what: str
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(100, int(q.get("per_page", "30")))
        page = max(1, int(q.get("page", "1")))
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(rows):
            rest = "&".join(f"{k}={v}" for k, v in q.items() if k != "page")
            nxt = f"{self.fake.repo_url}/{what}?{rest}&page={page + 1}"
            headers["link"] = f'<{nxt}>; rel="next"'
        return 200, headers, [render(r) for r in chunk]

    def _search(self, q: dict[str, str], now: float) -> tuple[int, dict[str, str], Any]:
        terms = q.get("q", "").split()
        words = [t.strip('"').lower() for t in terms if ":" not in t]
        labels = [t.split(":", 1)[1].strip('"').lower() for t in terms if t.startswith("label:")]
        hits = []
        for issue in self.items.values():
            if issue.indexed > now:
                continue  # not indexed yet: GitHub's search lags writes
            text = f"{issue.title}\n{issue.body or ''}".lower()
            if all(w in text for w in words) and all(
                lb in [x.lower() for x in issue.labels] for lb in labels
            ):
                hits.append({**self.render(issue), "score": 1.0})
        return (
            200,
            {},
            {
                "total_count": len(hits),
                "incomplete_results": False,
                "items": hits[:100],
                "search_type": "lexical",
            },
        )
