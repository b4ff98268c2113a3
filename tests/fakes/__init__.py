"""Local fakes for vendors with no local twin (GitHub): test code, never shipped."""
