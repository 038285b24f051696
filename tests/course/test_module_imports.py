"""Each top-level module and room of the app imports on its own, with nothing imported first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# One interpreter: before each import the app's own modules are forgotten, so each is the
# first of the app to load, as in a script or a worker that imports only that module.
SCRIPT = """
import importlib, json, pathlib, sys, traceback
own = ("course", "lessons", "certificates")
# The top-level modules and each room's package: the ones other code imports by name.
paths = [*pathlib.Path("course").glob("*.py"), *pathlib.Path("course").glob("*/__init__.py")]
names = sorted(
    ".".join(path.with_suffix("").parts).removesuffix(".__init__")
    for path in paths
    if "migrations" not in path.parts
)
failed = {}
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in own]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=-3)
print(json.dumps({"checked": len(names), "failed": failed}))
"""


def test_each_module_of_the_app_imports_first() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, cwd=ROOT
    )
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["checked"] > 40
    assert found["failed"] == {}, "\n".join(found["failed"].values())
