"""The original design's webhook module, now empty: its routes moved to their sources.

/webhook/slack lives in `autotriage.web.routes.slack` and /webhook/sentry (signed hooks
and the legacy plugin's shared-secret form) in `autotriage.web.routes.sentry`. The router
stays so the app's include line keeps working.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
