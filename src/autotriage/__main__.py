"""``python -m autotriage``."""

from autotriage.cli import main

main()
