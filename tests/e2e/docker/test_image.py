"""The container image, built and run for real.

`.ci/docker build` makes docker usable here (Debian's docker.io, a dockerd, a base image
from debootstrap since no registry is reachable) and builds the repository's Dockerfile
(`.ci/run` calls it before pytest, so in CI this is all cached layers). The image then
runs with host networking against a fresh database on the host's PostgreSQL: the official
sentry-sdk reports an exception to it, which comes out as a group with its issue in the
local tracker; SIGTERM while envelopes stream in loses nothing that was acknowledged,
and the container, started again, groups everything with exact counts.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from autotriage.store import Store
from autotriage.store.tables import Event, Group
from tests.support import free_port

# A fresh machine builds everything first (debootstrap, pip): minutes, not seconds.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[3]
APP = Path(__file__).with_name("sentry_app.py")
IMAGE = "autotriage:e2e"
TOKEN = "container-api-token"
PROJECT = 42


def docker(*args: str, timeout: float = 120) -> str:
    """Run a docker command; its stdout, or an AssertionError with its stderr."""
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr[-3000:]}"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def image() -> str:
    """The image built from this tree by `.ci/docker build` (a failure says why, never skips)."""
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "docker"), "build", IMAGE],
        capture_output=True, text=True, timeout=1700, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(
            f".ci/docker build {IMAGE} failed (exit {done.returncode}); docker is needed "
            f"here, not optional:\n{done.stderr[-4000:]}",
            pytrace=False,
        )
    sys.stderr.write(done.stderr)
    return IMAGE


class Container:
    """One `docker run -d` of the image on the host network, serving on a free port."""

    def __init__(self, image: str, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.id = docker(
            "run", "-d", "--network", "host",
            # the image's own check, run more often than its default so the test is quick
            "--health-interval", "1s", "--health-start-period", "120s",
            "-e", f"DATABASE_URL={database_url}", "-e", f"PORT={self.port}",
            "-e", f"AUTOTRIAGE_API_TOKEN={TOKEN}", "-e", "AUTOTRIAGE_WORKER_POLL_SECONDS=0.1",
            "-e", f"PUBLIC_URL={self.url}",
            image,
            timeout=600,  # vfs copies the whole image for a new container
        )  # fmt: skip

    def inspect(self, template: str) -> str:
        return docker("inspect", "-f", template, self.id)

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.inspect("{{.State.Health.Status}}") == "healthy":
                return
            assert self.inspect("{{.State.Running}}") == "true", self.logs()
            time.sleep(0.5)
        raise AssertionError(f"not healthy in {timeout}s:\n{self.logs()}")

    def logs(self) -> str:
        done = subprocess.run(
            ["docker", "logs", self.id], capture_output=True, text=True, timeout=60, check=False
        )
        return (done.stdout + done.stderr)[-5000:]

    def api(self, path: str) -> Any:
        response = httpx.get(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()

    def remove(self) -> None:
        subprocess.run(
            ["docker", "rm", "-f", self.id], capture_output=True, timeout=120, check=False
        )


@pytest.fixture
def container(image: str, postgres_url: str) -> Iterator[Container]:
    running = Container(image, postgres_url)
    try:
        yield running
    finally:
        running.remove()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout}s")


def sentry_app(tmp_path: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(APP), *args], check=True, timeout=120, cwd=tmp_path,
        capture_output=True,
    )  # fmt: skip


class Stream:
    """Threads posting the SDK's envelopes until the server stops answering."""

    def __init__(self, url: str, key: str, bodies: list[bytes], threads: int = 4) -> None:
        self.url = f"{url}/api/{PROJECT}/envelope/"
        self.headers = {
            "Content-Type": "application/x-sentry-envelope",
            "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key}, sentry_client=e2e",
        }
        self.bodies = bodies
        self.lock = threading.Lock()
        self.acked: list[str] = []
        self.acked_after: list[str] = []  # answered 2xx after SIGTERM was sent
        self.refused: list[int] = []
        self.sigterm_at: float | None = None
        self.workers = [threading.Thread(target=self._post) for _ in range(threads)]

    def _next(self) -> bytes | None:
        with self.lock:
            return self.bodies.pop() if self.bodies else None

    def _post(self) -> None:
        with httpx.Client(timeout=60) as client:
            while (body := self._next()) is not None:
                try:
                    response = client.post(self.url, content=body, headers=self.headers)
                except httpx.HTTPError:
                    return  # the server closed: nothing more is accepted
                if response.status_code != 200:
                    self.refused.append(response.status_code)
                    if response.status_code >= 500:
                        return
                    continue
                event_id = response.json()["id"]
                with self.lock:
                    self.acked.append(event_id)
                    if self.sigterm_at is not None:
                        self.acked_after.append(event_id)

    def __enter__(self) -> Stream:
        for worker in self.workers:
            worker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for worker in self.workers:
            worker.join(120)


def stored(store: Store) -> tuple[list[str], int, dict[str, int]]:
    """Event ids stored, events not yet grouped, and each group's count by title."""
    with store.reading() as session:
        ids = list(session.scalars(select(Event.source_event_id)))
        pending = session.scalar(
            select(func.count()).select_from(Event).where(Event.status == "pending")
        )
        counts = {g.title: g.count for g in session.scalars(select(Group))}
    return [i for i in ids if i], int(pending or 0), counts


def test_image_reports_groups_and_drains_on_sigterm(
    image: str, container: Container, postgres_url: str, tmp_path: Path
) -> None:
    # The image's contract: non-root, `serve` by default behind tini, a health check.
    assert (
        container.inspect("{{json .Config.Entrypoint}}") == '["tini","-e","143","--","autotriage"]'
    )
    assert container.inspect("{{json .Config.Cmd}}") == '["serve"]'
    assert container.inspect("{{.Config.User}}") == "autotriage"
    container.wait_healthy()
    assert docker("exec", container.id, "id", "-u") not in ("", "0")
    assert docker("exec", container.id, "id", "-u") == "10001"
    assert httpx.get(f"{container.url}/api/groups", timeout=30).status_code == 401
    # ... and the image's CLI: a Sentry DSN key from `autotriage keys create` inside it.
    printed = docker("exec", container.id, "autotriage", "keys", "create", "--project-id", "42")
    key = next(line.split()[1] for line in printed.splitlines() if line.startswith("key:"))
    dsn = f"http://{key}@127.0.0.1:{container.port}/{PROJECT}"
    assert f"DSN:     {dsn}" in printed

    # The official SDK reports a real exception: one group, its issue in the local tracker.
    sentry_app(tmp_path, "send", dsn)

    def reported() -> bool:
        groups = container.api("/api/groups")["groups"]
        return len(groups) == 1 and groups[0]["count"] == 1

    wait_for(reported, "the SDK's event grouped")
    group = container.api("/api/groups")["groups"][0]
    assert group["title"].startswith("KeyError")

    def issue() -> Any:
        return container.api(f"/api/groups/{group['id']}")["tracker_item"]

    wait_for(lambda: issue() is not None, "its issue in the local tracker")
    assert "KeyError" in issue()["title"]
    assert "checkout" in issue()["body"]

    # SIGTERM while the SDK's envelopes stream in: the server stops taking connections,
    # answers the requests it has, and exits 0; every acknowledged event is stored.
    out = tmp_path / "envelopes.txt"
    sentry_app(tmp_path, "envelopes", dsn, "600", str(out))
    bodies = [base64.b64decode(line) for line in out.read_text().split()]
    with Stream(container.url, key, bodies) as stream:
        wait_for(lambda: len(stream.acked) >= 60, "60 envelopes acknowledged", timeout=120)
        stream.sigterm_at = time.monotonic()
        docker("kill", "--signal", "TERM", container.id)
        assert docker("wait", container.id, timeout=120) == "0", container.logs()
    # uvicorn's own account of a graceful stop (a SIGKILL would leave no such line)
    assert "Finished server process" in container.logs()
    assert stream.bodies, "the stream ran dry before SIGTERM: the drain was not tested"
    assert not [code for code in stream.refused if code >= 500], stream.refused
    store = Store(postgres_url)
    try:
        ids, _, _ = stored(store)
        assert len(set(ids)) == len(ids) == len(stream.acked) + 1  # +1: the SDK's KeyError
        # acknowledged => stored: nothing accepted is lost (and nothing stored went unanswered)
        assert set(stream.acked) <= set(ids)

        # Started again, it resumes: everything stored is grouped, each event counted once.
        docker("start", container.id, timeout=600)
        container.wait_healthy()

        def all_grouped() -> bool:
            return stored(store)[1] == 0

        wait_for(all_grouped, "every stored event grouped after the restart")
        _, _, counts = stored(store)
        assert sorted(counts.values()) == [1, len(stream.acked)], counts
    finally:
        store.dispose()
    sys.stderr.write(
        f"container e2e: {len(stream.acked)} envelopes acknowledged, "
        f"{len(stream.acked_after)} of them answered after SIGTERM, all stored\n"
    )

    # The alternative command: `worker --check` in a container of its own.
    assert docker(
        "run", "--rm", "--network", "host", "-e", f"DATABASE_URL={postgres_url}",
        image, "worker", "--check", timeout=600,
    ) == ""  # fmt: skip


def test_compose_file_is_valid(tmp_path: Path) -> None:
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is missing: .ci/docker installs Debian's docker-compose"
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    (tmp_path / ".env").write_text("AUTOTRIAGE_API_TOKEN=t\n")
    done = subprocess.run(
        [compose, "-f", "compose.yaml", "config"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {"db", "server", "worker"}
    assert services["server"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["server"]["condition"] == "service_healthy"
    assert services["server"]["command"] == ["serve"]
    assert services["worker"]["command"][0] == "worker"
    assert services["worker"]["healthcheck"]["test"][1:3] == ["autotriage", "worker"]
    assert "pgdata" in config["volumes"]
    assert str(services["db"]["volumes"][0]).startswith("pgdata:")
    assert services["server"]["environment"]["AUTOTRIAGE_API_TOKEN"] == "t"
    assert services["server"]["environment"]["DATABASE_URL"].startswith("postgresql://")


def test_ecs_task_definitions_run_the_image_as_documented() -> None:
    roles = {}
    for name in ("server", "worker"):
        task = json.loads((ROOT / "deploy" / "ecs" / f"{name}.json").read_text())
        assert task["requiresCompatibilities"] == ["FARGATE"]
        assert task["networkMode"] == "awsvpc"
        (definition,) = task["containerDefinitions"]
        assert definition["user"] == "10001"  # the image's non-root user
        assert definition["healthCheck"]["command"][0] == "CMD"
        secrets = {s["name"] for s in definition["secrets"]}
        assert "DATABASE_URL" in secrets
        assert not {e["name"] for e in definition["environment"]} & secrets
        roles[name] = definition
    assert roles["server"]["command"] == ["serve"]
    assert roles["server"]["portMappings"][0]["containerPort"] == 3000
    assert "/health" in roles["server"]["healthCheck"]["command"][-1]
    assert roles["worker"]["command"][0] == "worker"
    assert roles["worker"]["healthCheck"]["command"][1:] == ["autotriage", "worker", "--check"]
    assert roles["worker"]["stopTimeout"] >= roles["server"]["stopTimeout"]
