"""Path and query parameters shared by the read routes, bounded to what the store holds.

Ids and offsets are 64-bit signed integers in both databases; a larger number in a URL
is a 400 naming the parameter, not an overflow inside the driver.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

INT64_MAX = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=INT64_MAX, description="A row id (64-bit).")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="Rows to skip.")]
