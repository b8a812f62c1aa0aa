"""Provenance of a run: code version, data and configuration hashes, environment, seeds, timings.

``provenance.json`` lets anyone check that two reports come from the same code, data and
configuration: the git commit (and whether the tree had uncommitted changes), the SHA-256 of
every file of the extract and of the configuration, the versions of irdp and its main
dependencies, the seeds and the time spent in each step.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["Timer", "git_info", "hash_file", "hash_folder", "package_versions", "make_run_id",
           "write_provenance"]

#: Distributions whose versions are recorded.
PACKAGES = ("irdp", "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "lifelines",
            "duckdb", "pyarrow", "matplotlib", "jinja2", "fairlearn", "joblib", "pyyaml")


def hash_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_folder(path: str | Path) -> dict[str, Any]:
    """SHA-256 of every file under ``path`` and one combined digest (order-independent).

    Returns
    -------
    dict
        ``{"sha256": combined, "files": {relative path: sha256}}``.
    """
    path = Path(path)
    files = {p.relative_to(path).as_posix(): hash_file(p)
             for p in sorted(path.rglob("*")) if p.is_file()}
    combined = hashlib.sha256(
        "\n".join(f"{k} {v}" for k, v in sorted(files.items())).encode()
    ).hexdigest()
    return {"sha256": combined, "files": files}


def git_info(start: str | Path | None = None) -> dict[str, Any]:
    """Commit, branch and dirty flag of the git checkout holding ``start`` (irdp's source).

    Returns ``{"commit": None, ...}`` when irdp does not run from a git checkout.
    """
    where = Path(start) if start is not None else Path(__file__).resolve().parents[2]

    def run(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True,
                                 timeout=20, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no") if commit else None
    return {
        "commit": commit,
        "branch": run("rev-parse", "--abbrev-ref", "HEAD") if commit else None,
        "dirty": bool(status) if status is not None else None,
    }


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` (None when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    out["python"] = platform.python_version()
    return out


def make_run_id(config_sha256: str, now: _dt.datetime | None = None) -> str:
    """Run identifier ``YYYYMMDDTHHMMSSZ-<first 8 hex of the configuration hash>``."""
    now = now or _dt.datetime.now(_dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{config_sha256[:8]}"


class Timer:
    """Wall-clock timings of named steps (``with timer("cohort"): ...``)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = round(self.timings.get(step, 0.0) + time.perf_counter() - t0, 3)


def write_provenance(path: str | Path, record: dict[str, Any]) -> Path:
    """Write a provenance record (adds the environment) as pretty JSON; return the path."""
    full = {
        **record,
        "packages": package_versions(),
        "platform": {"system": platform.system(), "machine": platform.machine(),
                     "python": sys.version.split()[0]},
    }
    path = Path(path)
    path.write_text(json.dumps(full, indent=2, sort_keys=False, default=str) + "\n",
                    encoding="utf-8")
    return path
