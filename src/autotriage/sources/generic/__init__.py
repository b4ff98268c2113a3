"""The generic webhook: autotriage's own signed JSON document (`webhook`)."""
