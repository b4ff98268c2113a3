"""Sources: one package per vendor (`sentry`, `aws`, `slack`, `otlp`, `generic`) and raw
`text`, each behind the `base.Source` protocol and listed in `registry.REGISTRY`.

Each source offers a pure ``parse(body, headers) -> list[ErrorEvent]``; never import a
source by a name taken from a request.
"""
