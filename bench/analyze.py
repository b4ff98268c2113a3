"""Analysis speed on a 50,000-file repository: index build time, memory, per-trace latency.

    python bench/analyze.py [--files 50000] [--traces 200]

Generates the repository with ``git fast-import`` (three authors, a CODEOWNERS file,
Python/JS/Java files in many folders, with file names repeated across folders so the
suffix search has real ties), then:

* builds the file index of HEAD and prints its build time and memory;
* analyses `--traces` synthetic events (each a distinct group, 4 in-app frames under a
  deployment prefix, context lines taken from the files) and prints latency percentiles,
  for the full analysis (mapping, code, blame, CODEOWNERS) and for a cached repeat.
Target: under 50 ms per trace once the index is built.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

from autotriage.analysis.analyzer import Analyzer
from autotriage.analysis.index import FileIndex
from autotriage.analysis.mapping import map_frame
from autotriage.analysis.repo import Repository
from autotriage.config import load_settings
from autotriage.models import ErrorEvent, ExceptionInfo, Frame

AUTHORS = [
    ("Alice", "alice@example.com"),
    ("Bob", "bob@example.com"),
    ("Carol", "carol@example.com"),
]
NAMES = [
    "__init__.py",
    "models.py",
    "views.py",
    "utils.py",
    "index.js",
    "service.js",
    "Handler.java",
    "Repository.java",
    "helpers.py",
    "api.js",
]


def _content(path: str, seed: int) -> str:
    lines = [f"# {path}"] + [f"value_{seed}_{n} = compute({n}, {seed})" for n in range(1, 40)]
    return "\n".join(lines) + "\n"


def generate(root: Path, n_files: int) -> list[str]:
    """Create a repository of `n_files` files at `root` with fast-import; returns the paths."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(root)], check=True)
    paths = []
    i = 0
    while len(paths) < n_files:
        svc, pkg, name = i // 500, (i // 10) % 50, NAMES[i % len(NAMES)]
        if name.endswith(".java"):
            paths.append(f"svc{svc}/src/main/java/com/acme/p{pkg}/{name}")
        else:
            paths.append(f"svc{svc}/src/pkg{pkg}/{name}")
        i += 1
    paths[-1] = "CODEOWNERS"
    now = int(time.time())
    chunks: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        chunks.append(f"data {len(raw)}\n".encode() + raw + b"\n")

    # Commit 1 (Alice, 60 days ago) adds everything; commits 2-3 edit a slice each.
    for c, (name, email) in enumerate(AUTHORS):
        chunks.append(b"commit refs/heads/main\n")
        when = now - (60 - 20 * c) * 86400
        chunks.append(f"author {name} <{email}> {when} +0000\n".encode())
        chunks.append(f"committer {name} <{email}> {when} +0000\n".encode())
        data(f"commit {c + 1} by {name}")
        targets = paths if c == 0 else paths[c::7]
        for path in targets:
            chunks.append(f"M 100644 inline {path}\n".encode())
            if path == "CODEOWNERS":
                data("*  @acme/core\n**/src/main/java/ @acme/java\nsvc1*/ @bob\n")
            else:
                data(_content(path, c))
        chunks.append(b"\n")
    subprocess.run(
        ["git", "--git-dir", str(root), "fast-import", "--quiet"],
        input=b"".join(chunks),
        check=True,
    )
    return paths


def _event(rng: random.Random, paths: list[str], number: int) -> ErrorEvent:
    frames = []
    for depth, path in enumerate(rng.sample(paths[:-1], 4)):
        line = rng.randint(2, 39)
        frames.append(
            Frame(
                abs_path=f"/srv/app/releases/{number}/{path}",
                function=f"fn_{number}_{depth}",
                lineno=line,
                in_app=True,
                context_line=f"value_{(2 if paths.index(path) % 7 == 2 else 0)}_{line - 1}",
            )
        )
    return ErrorEvent(
        source="bench",
        exceptions=[ExceptionInfo(type=f"Error{number}", value="boom", frames=frames)],
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--traces", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(6)
    with tempfile.TemporaryDirectory(prefix="autotriage-bench-") as tmp:
        root = Path(tmp) / "big.git"
        started = time.perf_counter()
        paths = generate(root, args.files)
        print(f"generated {len(paths):,} files in 3 commits: {time.perf_counter() - started:.1f}s")
        repo = Repository.open(root)
        sha = repo.head() or ""
        started = time.perf_counter()
        listed = repo.list_files(sha)
        listed_s = time.perf_counter() - started
        started = time.perf_counter()
        index = FileIndex(listed)
        built_s = time.perf_counter() - started
        tracemalloc.start()  # a second build, measured for memory (tracemalloc slows it)
        again = FileIndex(listed)
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del again
        print(
            f"file index: {len(index):,} paths; git ls-tree {listed_s * 1000:.0f} ms, "
            f"index build {built_s * 1000:.0f} ms, index memory {size / 1e6:.1f} MB"
        )
        events = [_event(rng, paths, n) for n in range(args.traces)]
        started = time.perf_counter()
        for event in events:
            for frame in event.exceptions[0].frames:
                map_frame(frame, index)
        per_map = (time.perf_counter() - started) / (len(events) * 4)
        print(f"frame mapping alone: {per_map * 1e6:.1f} µs per frame")
        settings = load_settings(
            env_file=None, REPO_PATH=str(root), AUTOTRIAGE_REPO_CACHE_DIR=str(Path(tmp) / "cache")
        )
        analyzer = Analyzer(settings.analysis)
        started = time.perf_counter()
        analyzer.analyze(events[0])  # builds and caches the index
        print(
            f"first analysis (index build included): "
            f"{(time.perf_counter() - started) * 1000:.0f} ms"
        )
        full: list[float] = []
        mapped = 0
        for event in events[1:]:
            started = time.perf_counter()
            result = analyzer.analyze(event)
            full.append((time.perf_counter() - started) * 1000)
            mapped += result.culprit is not None and result.culprit.mapped
        cached: list[float] = []
        for event in events[1:]:
            started = time.perf_counter()
            analyzer.analyze(event)
            cached.append((time.perf_counter() - started) * 1000)
        for label, values in (("full analysis", full), ("cached repeat", cached)):
            q = statistics.quantiles(values, n=100)
            print(
                f"{label}: mean {statistics.fmean(values):.1f} ms, p50 {q[49]:.1f} ms, "
                f"p95 {q[94]:.1f} ms, max {max(values):.1f} ms over {len(values)} traces"
            )
        print(f"culprits mapped: {mapped}/{len(full)}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
