"""GitHub issues: a rate-limit-aware client (`client`), issue operations (`issues`), the
outbox handlers (`handlers`) and what an issue's state means for its group (`signals`).

Nothing is imported here so that `signals` (used by the webhook route) does not load
githubkit.
"""
