"""Package figures: build time and size of the echo app's zip, and a rebuild with nothing changed.

Run: .venv/bin/python bench/bench_package.py [--runs N]
Prints figures; asserts nothing. Goals (issue 3): under 20 KB, under 0.5 s, and the same
SHA-256 on a rebuild. Also shows where the time goes (reading the handlers is a subprocess
import, made once per package: a rebuild of the same bytes and environment takes the routes
from .wsdeploy/cache/, which is why it is so much faster), a rebuild whose requirements come
from the cache, and a big source folder with what the search for secrets costs in it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.package_project import write_project  # noqa: E402
from tests.support.package_wheels import build_wheel  # noqa: E402
from wsdeploy.config import load_stage  # noqa: E402
from wsdeploy.discover import read_handlers  # noqa: E402
from wsdeploy.package import build_package  # noqa: E402


def timed(function, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def show(label: str, times: list[float]) -> None:
    print(f"  {label:<38} median {statistics.median(times) * 1000:7.1f} ms   "
          f"min {min(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms")


def echo_figures(folder: Path, runs: int) -> None:
    config = write_project(folder / "echo", echo=True)
    first_time, first = timed(lambda: build_package(load_stage(config)), 1)
    rebuild_times, rebuilt = timed(lambda: build_package(load_stage(config)), runs)
    read_times, _ = timed(lambda: read_handlers(load_stage(config)), runs)
    print(f"echo app: {first.size} bytes zipped ({first.size / 1024:.1f} KB), "
          f"{first.unzipped_size} unzipped, {first.file_count} files   (goal: under 20 KB)")
    show("first build", first_time)
    show(f"rebuild, nothing changed ({runs} runs)", rebuild_times)
    show("  reading the handlers, when not cached", read_times)
    print(f"  SHA-256 first {first.sha256_b64}\n  SHA-256 again {rebuilt.sha256_b64}   "
          f"identical: {first.data == rebuilt.data}   (goal: identical, under 0.5 s)")


def requirements_figures(folder: Path, runs: int) -> None:
    wheels = folder / "reqs" / "wheels"
    build_wheel(wheels, "tinylib", "1.0", {f"tinylib/m{i}.py": "X = 1\n" * 200 for i in range(50)})
    toml = '[app]\nname = "chat"\nrequirements = "requirements.txt"\nsource = "src"\n[stages.dev]\n'
    config = write_project(folder / "reqs", toml, {
        "requirements.txt": "--no-index\n--find-links wheels\ntinylib\n",
        "src/app.py": (ROOT / "examples" / "echo" / "app.py").read_text()})
    install_time, built = timed(lambda: build_package(load_stage(config)), 1)
    cached_times, _ = timed(lambda: build_package(load_stage(config)), runs)
    print(f"echo app + a local 50-module wheel: {built.size / 1024:.1f} KB, {built.file_count} files")
    show("first build (pip install)", install_time)
    show(f"rebuild, requirements cached ({runs} runs)", cached_times)


def big_source_figures(folder: Path, runs: int) -> None:
    """A source folder of 2,000 small files, a 5 MB text file and a 40 MB binary: what leaving
    out secrets costs (every text file's text is searched for a private key; a binary stops
    after its first 64 KB)."""
    import os

    files = {f"static/page{i:04d}.html": f"<p>page {i}</p>\n" * 20 for i in range(2000)}
    files["data/big.csv"] = "id,name,value\n" + "1,abc,0.5\n" * 500_000
    config = write_project(folder / "big", files=files, echo=True)
    (folder / "big" / "data" / "model.bin").write_bytes(b"\0" + os.urandom(40 * 1024 * 1024))
    build_times, built = timed(lambda: build_package(load_stage(config)), max(1, runs // 3))
    print(f"big source: {built.file_count} files, {built.unzipped_size / 1e6:.1f} MB unzipped, "
          f"{built.size / 1e6:.1f} MB zipped")
    show(f"build ({max(1, runs // 3)} runs)", build_times)
    try:
        from wsdeploy.discover import iter_source_files
        from wsdeploy.secret_files import split_secrets
    except ImportError:  # a wsdeploy from before the secret scan
        return
    cfg = load_stage(config)
    source = list(iter_source_files(cfg.source_dir))
    scan_times, _ = timed(lambda: split_secrets(cfg.source_dir, source), runs)
    show(f"  of which the secret scan ({runs} runs)", scan_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="rebuilds to time (default 10)")
    runs = parser.parse_args().runs
    folder = Path(tempfile.mkdtemp(prefix="wsdeploy-bench-package-"))
    try:
        echo_figures(folder, runs)
        requirements_figures(folder, runs)
        big_source_figures(folder, runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
