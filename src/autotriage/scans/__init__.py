"""Scans of the pull sources: the loop, cursors, pacing and backoff the adapters leave out.

`runner.Scanner` reads CloudWatch Logs page by page and commits each page's events
together with its cursor; `manager.ScanManager` runs scans for the server (on demand and
every ``SCAN_INTERVAL``); `throttle` paces requests and backs off on throttling.
"""
