"""``make lab``: JupyterLab with the project kernel, the notebooks' ``.py`` files opening as
notebooks.

Registers the kernel «Python (evalkit)» in this environment, sets JupyterLab's default viewer
for Python files to jupytext's notebook view (in this environment's
``share/jupyter/lab/settings/overrides.json``, so nothing in the user's home changes), and
starts JupyterLab in the project folder.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from evalkit.paths import project_root
from evalkit.runner.kernels import ensure_kernel

OVERRIDES = {
    "@jupyterlab/docmanager-extension:plugin": {
        "defaultViewers": {"python": "Jupytext Notebook"},
    },
}


def write_overrides(prefix: Path | str = sys.prefix) -> Path:
    """Merge the default-viewer setting into the environment's JupyterLab overrides."""
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for plugin, settings in OVERRIDES.items():
        current.setdefault(plugin, {}).update(settings)
    path.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    return path


def main() -> None:
    ensure_kernel()
    write_overrides()
    root = project_root()
    os.chdir(root)
    args = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", *sys.argv[1:]]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers often run as root
        args.append("--allow-root")
    os.execv(sys.executable, args)


if __name__ == "__main__":
    main()
