"""Sentry: SDK envelopes and store posts, webhooks, and the API poller.

`event` maps one event in Sentry's protocol, `envelope` reads what SDKs post to the DSN
endpoints, `webhooks` reads Integration Platform and plugin deliveries, `api` talks to
Sentry's web API and `poll` scans a project's issues page by page.
"""
