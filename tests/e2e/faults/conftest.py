"""The fault tests share `fleet` (servers, workers, a burst); bench/scale.py uses it too."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
