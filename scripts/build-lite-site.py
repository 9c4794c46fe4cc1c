#!/usr/bin/env python3
"""Builds a JupyterLite site that works offline, with webdbc in it:

    target/litenv/bin/python scripts/build-lite-site.py OUT_DIR [--contents DIR]

- `jupyter lite build` (jupyterlite-core and jupyterlite-pyodide-kernel from PyPI, in
  target/litenv, which .ci/run makes) with webdbc's wheel added as the README says
  (`--piplite-wheels dist/webdbc-*.whl`), so a notebook's `%pip install webdbc` finds it;
- the Pyodide core from npm (tests/node_modules/pyodide) served by the site itself, not a CDN;
- the pure-Python wheels the kernel loads at start (micropip, IPython and their dependencies,
  as Pyodide's lock file names them) and SQLAlchemy, downloaded once from PyPI into
  target/wheels/lite and served next to the core; the site's copy of pyodide-lock.json names
  these files and their hashes (PyPI's files are not byte for byte Pyodide's builds).

Downloads only what target/wheels/lite lacks; builds nothing else.
"""

import argparse
import hashlib
import json
import pathlib
import shutil
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
pyodide = root / "tests/node_modules/pyodide"
wheels = root / "target/wheels/lite"
bin_dir = pathlib.Path(sys.executable).parent
# What the kernel installs at start and what the README's notebook example imports.
KERNEL_NEEDS = ["micropip", "ipython", "jedi", "typing-extensions"]
# Not in Pyodide's lock: the kernel installs `comm` through piplite, from the site's own index.
PIPLITE_EXTRA = ["comm==0.2.3"]
SQLALCHEMY = "sqlalchemy==2.1.9"


def download(spec):
    """The wheel for `spec` (`name==version`), from target/wheels/lite or else from PyPI."""
    name, version = spec.split("==")
    norm = name.lower().replace("-", "_")

    def present():
        for f in wheels.glob("*.whl"):
            parts = f.name.split("-")
            if parts[0].lower() == norm and parts[1] == version:
                return f
        return None

    if present() is None:
        wheels.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [bin_dir / "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--platform",
             "any", "--python-version", "3.14", "-d", wheels, spec],
            check=True,
        )
    found = present()
    if found is None:
        sys.exit(f"pip downloaded no wheel named {norm}-{version}-… for {spec}")
    return found


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def closure(packages, names):
    """`names` and what they depend on, as the lock's keys (which spell `_` as `-`)."""
    seen = []
    todo = list(names)
    while todo:
        n = todo.pop().lower().replace("_", "-")
        if n in seen:
            continue
        if n not in packages:
            sys.exit(f"{n} is not in Pyodide's lock file")
        seen.append(n)
        todo.extend(packages[n].get("depends", []))
    return seen


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--contents", help="notebooks and files to put in the site")
    args = ap.parse_args()
    out = pathlib.Path(args.out).resolve()
    webdbc = sorted((root / "dist").glob("webdbc-*.whl"))
    if len(webdbc) != 1:
        sys.exit(f"expected one dist/webdbc-*.whl (scripts/build-pkg.sh makes it), found {len(webdbc)}")
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    packages = lock["packages"]

    # The wheels Pyodide's lock names, from PyPI, at the lock's versions.
    served = {}
    for name in closure(packages, KERNEL_NEEDS):
        served[name] = download(f"{name}=={packages[name]['version']}")
    served["sqlalchemy"] = download(SQLALCHEMY)
    extra = [download(spec) for spec in PIPLITE_EXTRA]

    if out.exists():
        shutil.rmtree(out)
    cmd = [bin_dir / "jupyter", "lite", "build", "--output-dir", out]
    for w in [webdbc[-1], *extra]:
        cmd += ["--piplite-wheels", w]
    if args.contents:
        cmd += ["--contents", args.contents]
    subprocess.run(cmd, check=True, cwd=out.parent)

    # Pyodide served by the site, with a lock file naming the files served next to it.
    core = out / "pyodide"
    shutil.copytree(pyodide, core, ignore=shutil.ignore_patterns("*.map", "*.d.ts", "*.html", "README.md"))
    for name, wheel in served.items():
        shutil.copy(wheel, core / wheel.name)
        entry = packages[name]
        entry["file_name"] = wheel.name
        entry["version"] = wheel.name.split("-")[1]
        entry["sha256"] = sha256(wheel)
    (core / "pyodide-lock.json").write_text(json.dumps(lock))

    config_path = out / "jupyter-lite.json"
    config = json.loads(config_path.read_text())
    settings = config["jupyter-config-data"].setdefault("litePluginSettings", {})
    kernel = settings.setdefault("@jupyterlite/pyodide-kernel-extension:kernel", {})
    kernel["pyodideUrl"] = "./pyodide/pyodide.mjs"
    # Nothing from PyPI at run time: the site's own wheels or an error.
    kernel["disablePyPIFallback"] = True
    config_path.write_text(json.dumps(config, indent=2))
    print(f"{out}: JupyterLite site, Pyodide {lock['info']['python']}, "
          f"{len(served) + len(extra) + 1} wheels served locally, webdbc {webdbc[-1].name}")


if __name__ == "__main__":
    main()
