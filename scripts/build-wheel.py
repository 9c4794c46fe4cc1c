#!/usr/bin/env python3
"""Builds the Pyodide wheel, dist/webdbc-<version>-py3-none-any.whl: the Python module of
pkg-templates/python plus the engine of the npm package in pkg/ (its wasm, glue and snippet),
which the module loads itself. Run after scripts/build-pkg.sh (which calls it)."""

import base64
import hashlib
import pathlib
import re
import zipfile

root = pathlib.Path(__file__).resolve().parent.parent
version = re.search(r'^version = "([^"]+)"', (root / "Cargo.toml").read_text(), re.M).group(1)
dist_info = f"webdbc-{version}.dist-info"
files = {}
for src in sorted((root / "pkg-templates/python").rglob("*.py")):
    files[src.relative_to(root / "pkg-templates/python").as_posix()] = src.read_bytes()
init = files["webdbc/__init__.py"].decode()
assert '__version__ = "0.0.0"' in init, "webdbc/__init__.py lost its __version__ line"
files["webdbc/__init__.py"] = init.replace('__version__ = "0.0.0"', f'__version__ = "{version}"', 1).encode()
# SQLAlchemy finds the dialects by these names: `crate://` is "crate", `crate+pg://` "crate.pg".
dialects = {
    "postgresql.webdbc": "postgresql:PostgresDialect",
    "questdb": "questdb:QuestDialect",
    "questdb.webdbc": "questdb:QuestDialect",
    "crate": "cratedb:CrateDialect",
    "crate.webdbc": "cratedb:CrateDialect",
    "crate.pg": "cratedb:CrateDialect",
    "databend": "databend:DatabendDialect",
    "databend.webdbc": "databend:DatabendDialect",
    "databricks": "databricks:DatabricksDialect",
    "databricks.webdbc": "databricks:DatabricksDialect",
    "ignite": "ignite:IgniteDialect",
    "ignite.webdbc": "ignite:IgniteDialect",
}
files[f"{dist_info}/entry_points.txt"] = ("[sqlalchemy.dialects]\n" + "".join(
    f"{name} = webdbc.dialects.{target}\n" for name, target in dialects.items()
)).encode()
pkg = root / "pkg"
for src in [pkg / "webdbc_wasm.js", pkg / "webdbc_wasm_bg.wasm", *sorted(pkg.glob("snippets/**/*.js"))]:
    files["webdbc/_js/" + src.relative_to(pkg).as_posix()] = src.read_bytes()
for name in ("LICENSE-MIT", "LICENSE-APACHE"):
    files[f"{dist_info}/{name}"] = (root / name).read_bytes()
files[f"{dist_info}/METADATA"] = f"""Metadata-Version: 2.1
Name: webdbc
Version: {version}
Summary: Database connectivity for Python in Pyodide: a DB-API 2.0 module over the webdbc wasm engine
License: MIT OR Apache-2.0
Requires-Python: >=3.11
""".encode()
files[f"{dist_info}/WHEEL"] = b"""Wheel-Version: 1.0
Generator: webdbc scripts/build-wheel.py
Root-Is-Purelib: true
Tag: py3-none-any
"""
record = []
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{name},sha256={digest},{len(data)}")
record.append(f"{dist_info}/RECORD,,")
files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()

out = root / "dist" / f"webdbc-{version}-py3-none-any.whl"
out.parent.mkdir(exist_ok=True)
for old in out.parent.glob("webdbc-*.whl"):
    old.unlink()
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in files.items():
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        z.writestr(info, data, zipfile.ZIP_DEFLATED)
print(f"{out.relative_to(root)}: {out.stat().st_size // 1024} KiB")
