"""Scans for the server: on demand (``POST /trigger-scan``, ``/autotriage scan``) and every
``SCAN_INTERVAL`` seconds, each in a background thread, never two at once (the lock is
the ``scans`` table's, so a CLI scan and a server scan exclude each other too)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from autotriage.config_sections import AwsSettings
from autotriage.errors import ScanBusy, ScanStopped
from autotriage.scans.runner import Scanner
from autotriage.sources.aws import logs_api
from autotriage.store import Store
from autotriage.store.scans import begin_scan, finish_scan

log = logging.getLogger(__name__)

ClientFactory = Callable[[AwsSettings], Any]


class ScanManager:
    """Starts scans in threads; ``app.state.scans`` is one of these."""

    def __init__(
        self,
        store: Store,
        settings: AwsSettings,
        *,
        wake: Callable[[], None] | None = None,
        client_factory: ClientFactory = logs_api.make_client,
    ) -> None:
        self.store = store
        self.settings = settings
        self.wake = wake
        self.client_factory = client_factory
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._timer: threading.Thread | None = None

    @property
    def configured(self) -> bool:
        """Whether there is a log group to scan."""
        return bool(self.settings.aws_log_group_name)

    def _since(self) -> timedelta:
        # The first scan of a log group reads one interval back (at least an hour).
        return timedelta(seconds=max(3600, self.settings.scan_interval))

    def _run(self, scan_id: int, dry_run: bool) -> None:
        try:
            client = self.client_factory(self.settings)
            scanner = Scanner(self.store, self.settings, client, wake=self.wake, stop=self._stop)
            summary = scanner.run(since=self._since(), dry_run=dry_run, scan_id=scan_id)
        except ScanStopped as exc:  # the server is stopping; cursors keep what was done
            finish_scan(self.store, scan_id, None, str(exc))
            return
        except Exception as exc:
            log.exception("scan %s failed", scan_id)
            finish_scan(self.store, scan_id, None, f"{type(exc).__name__}: {exc}")
            return
        failed = [g.name for g in summary.groups if g.error]
        error = f"failed log groups: {', '.join(failed)}" if failed else None
        finish_scan(self.store, scan_id, summary.as_dict(), error)

    def start(self, trigger: str = "api", *, dry_run: bool = False) -> dict[str, Any]:
        """Start a scan now; answer its id, or the running scan's id when one is running."""
        if not self.configured:
            return {"status": "no_pull_source", "message": "AWS_LOG_GROUP_NAME is not set"}
        try:
            scan_id = begin_scan(self.store, trigger, dry_run=dry_run)
        except ScanBusy as busy:
            return {
                "status": "already_running",
                "scan_id": busy.scan_id,
                "url": f"/api/scans/{busy.scan_id}",
            }
        thread = threading.Thread(
            target=self._run,
            args=(scan_id, dry_run),
            name=f"autotriage-scan-{scan_id}",
            daemon=True,
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return {"status": "started", "scan_id": scan_id, "url": f"/api/scans/{scan_id}"}

    def run_now(self, trigger: str) -> None:
        """Run one scan in this thread (a periodic job); skip it if a scan is running."""
        if not self.configured:
            return
        try:
            scan_id = begin_scan(self.store, trigger)
        except ScanBusy as busy:
            log.info("%s scan skipped: scan %s still running", trigger, busy.scan_id)
            return
        self._run(scan_id, dry_run=False)

    def _every_interval(self) -> None:
        while not self._stop.wait(self.settings.scan_interval):
            outcome = self.start("interval")
            if outcome["status"] == "already_running":
                log.info("interval scan skipped: scan %s still running", outcome["scan_id"])

    def start_schedule(self) -> None:
        """Poll every ``SCAN_INTERVAL`` seconds (when set and a log group is configured)."""
        if self.settings.scan_interval <= 0 or not self.configured or self._timer is not None:
            return
        self._stop.clear()
        self._timer = threading.Thread(
            target=self._every_interval, name="autotriage-scan-schedule", daemon=True
        )
        self._timer.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the schedule and wait briefly for running scans (they resume from cursors)."""
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout)
            self._timer = None
        for thread in self._threads:
            thread.join(timeout)
