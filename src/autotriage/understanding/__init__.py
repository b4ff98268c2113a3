"""Reading errors: stack-trace parsers, parameterization, scrubbing and fingerprints.

The pipeline uses three entry points:

* `autotriage.understanding.text.parse_text` — raw error text to `ErrorEvent`s;
* `autotriage.understanding.scrub.scrub_event` — secrets out, before anything is stored;
* `autotriage.understanding.fingerprint.compute_fingerprint` — the grouping hashes.
"""
