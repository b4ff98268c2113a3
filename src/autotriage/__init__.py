"""autotriage: production errors in, deduplicated GitHub issues (and proven fixes) out."""

__version__ = "0.1.0"
