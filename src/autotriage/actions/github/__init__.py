"""GitHub issues: a rate-limit-aware client (`client`), issue operations (`issues`), the
outbox handlers (`handlers`) and what an issue's state means for its group (`state`).

Nothing is imported here so that `state` (used by the pipeline) does not load githubkit.
"""
