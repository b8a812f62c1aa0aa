"""The installed package finds the contract: a wheel built from this tree ships the files of
``data_schemas/`` (reached through the ``irdp/_schemas`` link), byte for byte, and loads them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from irdp.io import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_the_one_copy_of_the_schemas(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "data_schemas", src / "data_schemas")
    shutil.copytree(ROOT / "irdp", src / "irdp", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert (src / "irdp" / "_schemas").is_symlink()
    out = tmp_path / "dist"
    build = ("import setuptools.build_meta as b, sys; "
             f"print(b.build_wheel({str(out)!r}))")
    done = subprocess.run([sys.executable, "-c", build], cwd=src, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = out / done.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as z:
        shipped = {Path(n).name: z.read(n) for n in z.namelist()
                   if n.startswith("irdp/_schemas/")}
        z.extractall(tmp_path / "site")
    expected = {p.name: p.read_bytes() for p in (ROOT / "data_schemas").glob("*.schema.json")}
    assert shipped == expected
    # the extracted wheel (no data_schemas/ beside it) loads its own copy
    probe = ("import irdp, irdp.io as io; from irdp.io.schema import schema_dir; "
             "print(irdp.__file__); print(schema_dir()); print(io.SCHEMA_VERSION, "
             "len(io.load_schemas()))")
    res = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, check=False, env={"PYTHONPATH": str(tmp_path / "site"),
                                                      "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr[-2000:]
    module, folder, loaded = res.stdout.strip().splitlines()
    assert module.startswith(str(tmp_path / "site"))
    assert Path(folder) == tmp_path / "site" / "irdp" / "_schemas"
    assert loaded.split() == [SCHEMA_VERSION, str(len(expected))]
