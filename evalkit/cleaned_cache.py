"""Cleaned years kept on disk, so that a build reads and cleans each export once.

Every document of a build reads its own year and the years it is compared with, and the trends
document reads them all: without this cache the same workbook is parsed and cleaned again for
each of them. :func:`evalkit.evaluation.load_year`, given a cache folder (the runner passes
``<out>/_cache/cleaned``, :data:`evalkit.runner.plan.CLEANED_CACHE_DIR` under the outputs
folder it controls), keeps the :class:`~evalkit.clean.CleanResult` of a year there and
reuses it.

An entry is one file, ``<folder>/<scheme>/<key>.zip``, holding ``tidy.parquet``,
``flags.parquet`` and ``meta.json`` (layout, rows read, year, the export's sha256). The key
(:func:`cache_key`) is the sha256 of everything cleaning depends on: the sha256 of the
export's bytes, the year, ``strict``, the scheme (its YAML's bytes and the configuration as
loaded), evalkit's version and code, and the versions of pandas, numpy and pyarrow. The
export's path is not in the key: a hit gets the path of the file read now.

What is kept is the tidy frame and the data-quality flags: the personal-data columns are
dropped when the file is read (:func:`evalkit.read.read_export`), before cleaning, so they
never reach the cache. The files are written to a temporary name and renamed into place, and
are readable by their owner only. A file that cannot be read back whole (cut short, altered,
of another format) is a miss: the year is cleaned again and the file written anew.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import time
import weakref
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import paths
from evalkit.clean import CleanResult
from evalkit.config import Scheme
from evalkit.flags import FLAG_COLUMNS

log = logging.getLogger(__name__)

#: The layout of an entry; a change makes every older entry a miss.
FORMAT = 1
#: Packages whose versions are part of the key (cleaning and the parquet round trip).
_KEYED_PACKAGES = ("pandas", "numpy", "pyarrow")
_TIDY, _FLAGS, _META = "tidy.parquet", "flags.parquet", "meta.json"
#: Temporary files older than this (seconds) were left by a process that was killed.
_STALE_TMP = 3600


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data, the same in every process (sets sorted, no ``repr`` of
    objects whose text depends on the process)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):  # a pydantic model (the scheme's document choices)
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, Path):
        return value.name  # the file's name shows in flag details; its folder does not matter
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot key a {type(value).__name__}")


#: The digest of each loaded scheme's configuration (a :class:`Scheme` is frozen).
_CONFIG_DIGESTS: weakref.WeakKeyDictionary[Scheme, str] = weakref.WeakKeyDictionary()


def scheme_fingerprint(scheme: Scheme) -> str:
    """sha256 of the scheme as cleaning uses it: the configuration as loaded (every field of
    :class:`~evalkit.config.Scheme`, the document choices included) and the bytes of its
    YAML file as they are now."""
    config = _CONFIG_DIGESTS.get(scheme)
    if config is None:
        text = json.dumps(_plain(scheme), sort_keys=True, ensure_ascii=False)
        config = _CONFIG_DIGESTS[scheme] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    digest = hashlib.sha256(config.encode("ascii"))
    try:
        digest.update(Path(scheme.path).read_bytes())
    except OSError:
        digest.update(b"(no file)")
    return digest.hexdigest()


def cache_key(export_sha256: str, scheme: Scheme, year: int, *, strict: bool) -> str | None:
    """The key of a cleaned year, or None when the scheme cannot be keyed (then nothing is
    cached).

    Parameters
    ----------
    export_sha256 : str
        sha256 of the export's bytes.
    scheme : Scheme
        The scheme the export is cleaned with.
    year : int
        The year it is cleaned as (counties and municipalities valid in it).
    strict : bool
        Whether unknown category values stop the cleaning.
    """
    try:
        fingerprint = scheme_fingerprint(scheme)
    except TypeError as err:
        log.debug("the scheme %s cannot be keyed (%s): no cache", scheme.name, err)
        return None
    versions = {name: _version(name) for name in ("evalkit", *_KEYED_PACKAGES)}
    material = {
        "format": FORMAT,
        "export_sha256": export_sha256,
        "scheme": scheme.name,
        "scheme_sha256": fingerprint,
        "year": int(year),
        "strict": bool(strict),
        "versions": versions,
        "evalkit_code_sha256": paths.code_digest(),
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def entry_path(folder: Path | str, scheme: str, key: str) -> Path:
    """The file of the entry ``key`` of ``scheme`` in the cache folder ``folder``."""
    return Path(folder) / scheme / f"{key}.zip"


def usable_folder(folder: Path | str, data_dir: Path | str) -> bool:
    """Whether ``folder`` may hold the cache: not in the data folder read from (nor holding
    it), nor in the project's ``data/``, so that cleaned data never lands beside exports."""
    cache = Path(folder).resolve()
    for data in (Path(data_dir).resolve(), (paths.project_root() / "data").resolve()):
        if cache == data or data in cache.parents or cache in data.parents:
            log.warning(
                "Not keeping cleaned years in %s: it is inside the data folder %s (or holds "
                "it). Give the build an outputs folder outside the data.",
                cache,
                data,
            )
            return False
    return True


def load(folder: Path | str, scheme: Scheme, key: str, path: Path) -> CleanResult | None:
    """The cleaned year kept under ``key``, with ``path`` as its export's path; None when there
    is none or it cannot be read back whole (logged)."""
    file = entry_path(folder, scheme.name, key)
    try:
        with zipfile.ZipFile(file) as archive:
            meta = json.loads(archive.read(_META).decode("utf-8"))
            tidy = pd.read_parquet(io.BytesIO(archive.read(_TIDY)))
            flags = pd.read_parquet(io.BytesIO(archive.read(_FLAGS)))
        if meta.get("format") != FORMAT or meta.get("key") != key:
            raise ValueError("it is the entry of another key or format")
        if list(flags.columns) != FLAG_COLUMNS or len(tidy) != meta["n_kept"]:
            raise ValueError("its frames are not those written")
        result = CleanResult(
            scheme=scheme.name,
            year=int(meta["year"]),
            path=path,
            layout=str(meta["layout"]),
            tidy=tidy,
            flags=flags,
            n_read=int(meta["n_read"]),
        )
    except FileNotFoundError:
        return None
    except Exception as err:  # cut short, altered, unreadable: clean again and rewrite
        name = type(err).__name__
        log.warning("Ignoring the damaged cleaned-year cache file %s (%s: %s)", file, name, err)
        return None
    log.info("%s %s: cleaned year reused from %s", scheme.name, result.year, file)
    return result


def _parquet(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out, engine="pyarrow")
    return out.getvalue()


def store(
    folder: Path | str, scheme: Scheme, key: str, result: CleanResult, export_sha256: str
) -> Path | None:
    """Keep ``result`` under ``key``: written to a temporary file beside the entry and renamed
    into place (readable by the owner only). Returns the file, or None when it could not be
    written (logged; the build goes on without it)."""
    file = entry_path(folder, scheme.name, key)
    meta = {
        "format": FORMAT,
        "key": key,
        "scheme": scheme.name,
        "year": int(result.year),
        "layout": result.layout,
        "n_read": int(result.n_read),
        "n_kept": len(result.tidy),
        "export_sha256": export_sha256,
    }
    tmp = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _remove_stale_temporaries(file.parent)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(_META, json.dumps(meta, indent=1))
            archive.writestr(_TIDY, _parquet(result.tidy))
            archive.writestr(_FLAGS, _parquet(result.flags))
        os.replace(tmp, file)
    except OSError as err:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        log.warning("Could not keep the cleaned year in %s (%s)", file, err)
        return None
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    return file


_TMP_NAME = re.compile(r"^\..+\.zip\..+\.tmp$")


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove temporary files a killed process left in ``folder`` (older than an hour)."""
    now = time.time()
    for leftover in folder.iterdir():
        if _TMP_NAME.match(leftover.name):
            with contextlib.suppress(OSError):
                if now - leftover.stat().st_mtime > _STALE_TMP:
                    leftover.unlink()
