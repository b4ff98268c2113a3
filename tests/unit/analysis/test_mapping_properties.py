"""Whatever a frame says, mapping answers (never raises) and never invents a path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from autotriage.analysis.index import FileIndex
from autotriage.analysis.mapping import map_frame
from autotriage.models import Frame

INDEX = FileIndex(["a/b/c.py", "x/b/c.py", "src/main/java/com/acme/A.java", "src/app.ts", "c.py"])
PARTS = st.sampled_from(
    [
        "a",
        "b",
        "c.py",
        "x",
        "..",
        ".",
        "",
        "~",
        "src",
        "dist",
        "app.js",
        "A.java",
        "webpack:",
        "C:",
        "?q=1",
        "#h",
        "<frozen>",
        "\\",
        "ü",
    ]
)
PATHS = st.lists(PARTS, max_size=8).map("/".join) | st.text(max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    abs_path=st.none() | PATHS,
    filename=st.none() | PATHS,
    module=st.none() | st.text(max_size=30),
    mappings=st.dictionaries(PATHS, PATHS, max_size=2),
)
def test_mapping_never_raises_and_only_names_indexed_files(
    abs_path: str | None, filename: str | None, module: str | None, mappings: dict[str, str]
) -> None:
    frame = Frame(abs_path=abs_path, filename=filename, module=module, in_app=True)
    result = map_frame(frame, INDEX, mappings)
    assert result.status in {"mapped", "ambiguous", "unmapped"}
    if result.status == "mapped":
        assert result.repo_path in INDEX
    else:
        assert result.repo_path is None
    assert all(c in INDEX for c in result.candidates)
