"""Slack: error messages from the Events API and ``{"text"}`` posts (`events`)."""
