"""A local fake of the OpenAI-compatible chat completions API (test code, not product)."""
