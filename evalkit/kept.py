"""evalkit's cache folder: what was worked out once from a file's bytes, kept for the next run.

A scheme's checked facts (:mod:`evalkit.scheme_summary`) and the compiled message catalogs
(:mod:`evalkit.i18n`) are kept here, each as one JSON file named by a key made of the bytes
it was worked out from (and the code that worked it out): the same bytes give the same key
and the same answer, a changed byte another key. Nothing is kept of an export or a
document. Whatever is read back is checked for its shape by its reader, and an answer that
cannot be read or kept is worked out again: the folder makes runs faster, never different.

The folder is ``$EVALKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evalkit``, else
``~/.cache/evalkit``; where it cannot be written, nothing is kept. This module imports nothing
of evalkit, so that the lowest layer (:mod:`evalkit.i18n`) may use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: The environment variable naming evalkit's cache folder.
CACHE_ENV = "EVALKIT_CACHE_DIR"


def cache_folder() -> Path:
    """evalkit's cache folder (see the module)."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "evalkit"


def key(*parts: bytes | str) -> str:
    """The sha256 of the parts, each preceded by its length (no two lists of parts share a
    key)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def _path(kind: str, name: str) -> Path:
    return cache_folder() / kind / f"{name}.json"


def read(kind: str, name: str) -> Any:
    """What was kept under ``kind/name``, or None when nothing (readable) was."""
    try:
        return json.loads(_path(kind, name).read_bytes())
    except (OSError, ValueError):
        return None


def keep(kind: str, name: str, value: Any) -> None:
    """Keep ``value`` (JSON) under ``kind/name``, written whole or not at all (a temporary
    file renamed into place); a folder that cannot be written keeps nothing, silently: the
    value is worked out again next time."""
    path = _path(kind, name)
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
