"""GitHub issues and fix pull requests: a rate-limit-aware client (`client`), issue
operations and opening an issue (`issues`), the handlers after the open and the tracker
(`handlers`), pull requests (`pulls`), the fix branch (`branch`) and publishing
(`fixpr`), and what an issue's state means for its group (`signals`).

Nothing is imported here so that `signals` (used by the webhook route) does not load
githubkit.
"""
