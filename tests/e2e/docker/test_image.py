"""The container image, built and run for real.

`.ci/docker` makes docker usable here (dockerd, and a base image from debootstrap, since no
registry is reachable); the image is built from the repository's Dockerfile and run with
host networking against the host's PostgreSQL. One event goes in through the signed
generic webhook and comes out as a group with its issue in the local tracker; SIGTERM
during a stream of posts loses nothing that was acknowledged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from autotriage.store import Store
from autotriage.store.tables import Event, Group
from tests.support import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
SECRET = "container-webhook-secret"
TOKEN = "container-api-token"


def docker(*args: str, timeout: float = 60) -> str:
    """Run a docker command; its stdout, or an AssertionError with its stderr."""
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr[-3000:]}"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def image() -> str:
    """The image built from the Dockerfile on a locally made Debian base.

    ``AUTOTRIAGE_TEST_IMAGE`` names an image already built from this tree instead (for
    iterating on the test itself; CI leaves it unset and builds).
    """
    prebuilt = os.environ.get("AUTOTRIAGE_TEST_IMAGE")
    if prebuilt:
        return prebuilt
    base = subprocess.run(
        [str(ROOT / ".ci" / "docker")], capture_output=True, text=True, timeout=600, check=False
    )
    assert base.returncode == 0, base.stderr[-3000:]
    tag = "autotriage:e2e"
    docker(
        "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base.stdout.strip()}",
        "-t", tag, str(ROOT), timeout=900,
    )  # fmt: skip
    return tag


def signed(doc: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(doc).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-Autotriage-Timestamp": stamp,
        "X-Autotriage-Signature": f"sha256={mac}",
    }


def error_doc(event_id: str) -> dict[str, Any]:
    trace = (
        "Traceback (most recent call last):\n"
        '  File "app/pricing.py", line 41, in total\n'
        "    return a / b\n"
        "ZeroDivisionError: division by zero"
    )
    return {
        "event_id": event_id,
        "level": "error",
        "service": "shop",
        "exception": {
            "type": "ZeroDivisionError",
            "value": "division by zero",
            "stacktrace": trace,
        },
    }


class Container:
    """One `docker run` of the image, on the host network."""

    def __init__(self, image: str, database_url: str) -> None:
        self.name = f"autotriage-e2e-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        docker(
            "run", "-d", "--name", self.name, "--network", "host",
            # the image's own check, run more often than its default so the test is quick
            "--health-interval", "2s",
            "-e", f"DATABASE_URL={database_url}", "-e", f"PORT={self.port}",
            "-e", f"AUTOTRIAGE_API_TOKEN={TOKEN}", "-e", f"WEBHOOK_SECRET={SECRET}",
            "-e", "AUTOTRIAGE_WORKER_POLL_SECONDS=0.1",
            image,
            # vfs copies the whole image for each container: slow on a busy host
            timeout=300,
        )  # fmt: skip

    def inspect(self, template: str) -> str:
        return docker("inspect", "-f", template, self.name)

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.inspect("{{.State.Health.Status}}") == "healthy":
                return
            assert self.inspect("{{.State.Running}}") == "true", self.logs()
            time.sleep(0.5)
        raise AssertionError(f"not healthy in {timeout}s:\n{self.logs()}")

    def logs(self) -> str:
        done = subprocess.run(
            ["docker", "logs", self.name], capture_output=True, text=True, timeout=30, check=False
        )
        return (done.stdout + done.stderr)[-5000:]

    def api(self, path: str) -> Any:
        response = httpx.get(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()

    def remove(self) -> None:
        subprocess.run(
            ["docker", "rm", "-f", self.name], capture_output=True, timeout=60, check=False
        )


@pytest.fixture
def container(image: str, postgres_url: str) -> Iterator[Container]:
    running = Container(image, postgres_url)
    try:
        yield running
    finally:
        running.remove()


def wait_for(check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


def post_until_stopped(url: str, acked: list[str], stop: threading.Event) -> None:
    """Post events one by one until told to stop or the server goes away."""
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            event_id = uuid.uuid4().hex
            body, headers = signed(error_doc(event_id))
            try:
                response = client.post(f"{url}/webhook/generic", content=body, headers=headers)
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                acked.append(event_id)
            elif response.status_code >= 500:
                return


def stored(store: Store) -> tuple[set[str], int, int]:
    """Event ids stored, events still pending, and the groups' summed count."""
    with store.reading() as session:
        ids = set(session.scalars(select(Event.source_event_id)))
        pending = session.scalar(
            select(func.count()).select_from(Event).where(Event.status == "pending")
        )
        counted = session.scalar(select(func.coalesce(func.sum(Group.count), 0)))
    return {i for i in ids if i}, int(pending or 0), int(counted or 0)


def test_image_serves_groups_and_drains_on_sigterm(container: Container, postgres_url: str) -> None:
    container.wait_healthy()
    assert container.inspect("{{.Config.User}}") == "autotriage"
    assert docker("exec", container.name, "id", "-u") == "10001"
    assert httpx.get(f"{container.url}/api/groups", timeout=5).status_code == 401

    first = uuid.uuid4().hex
    body, headers = signed(error_doc(first))
    response = httpx.post(f"{container.url}/webhook/generic", content=body, headers=headers)
    assert response.status_code == 200, response.text

    def grouped() -> bool:
        groups = container.api("/api/groups")["groups"]
        return len(groups) == 1 and groups[0]["count"] == 1

    wait_for(grouped)
    group = container.api("/api/groups")["groups"][0]

    def issue_rendered() -> bool:
        return container.api(f"/api/groups/{group['id']}")["tracker_item"] is not None

    wait_for(issue_rendered)
    item = container.api(f"/api/groups/{group['id']}")["tracker_item"]
    assert item["title"].startswith("[generic] ZeroDivisionError")

    # SIGTERM while events stream in: the server stops taking requests, finishes the ones
    # it has, and exits 0; every acknowledged event is in the database.
    acked: list[str] = [first]
    stop = threading.Event()
    poster = threading.Thread(target=post_until_stopped, args=(container.url, acked, stop))
    poster.start()
    wait_for(lambda: len(acked) > 30, timeout=30)
    docker("kill", "--signal", "TERM", container.name)
    assert docker("wait", container.name, timeout=30) == "0", container.logs()
    stop.set()
    poster.join(10)
    store = Store(postgres_url)
    try:
        ids, _, _ = stored(store)
        assert set(acked) <= ids
        # started again, it resumes: everything stored is grouped, each event counted once
        docker("start", container.name, timeout=300)
        container.wait_healthy()

        def all_grouped() -> bool:
            ids_now, pending, counted = stored(store)
            return pending == 0 and counted == len(ids_now)

        wait_for(all_grouped)
        assert container.api("/api/groups")["groups"][0]["count"] == len(stored(store)[0])
    finally:
        store.dispose()


def test_compose_file_is_valid(tmp_path: Path) -> None:
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is missing: run .ci/docker"
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    (tmp_path / ".env").write_text("AUTOTRIAGE_API_TOKEN=t\n")
    done = subprocess.run(
        [compose, "-f", "compose.yaml", "config"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    import yaml

    config = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {"db", "server", "worker"}
    assert services["server"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["server"]["condition"] == "service_healthy"
    assert services["worker"]["command"][0] == "worker"
    assert "pgdata" in config["volumes"]
    assert services["server"]["environment"]["AUTOTRIAGE_API_TOKEN"] == "t"
