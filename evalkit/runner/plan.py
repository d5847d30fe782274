"""Plan one document and check the cache, as DVC and ploomber do it.

:func:`plan` validates the parameters and computes the cache key: the sha256 of the notebook
bytes, the validated parameters, every export the document reads (its own year's and every
compared year's), the scheme YAML, the evalkit version and evalkit's own code. It writes
nothing. :func:`current_manifest` serves the existing output only when the key matches.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from evalkit import paths
from evalkit.config import load_scheme, scheme_path
from evalkit.errors import EvalkitError, ParameterError
from evalkit.paths import relative_path, sha256_file, show_path
from evalkit.runner.params import (
    RUNNER_PARAMETERS,
    check_scheme,
    missing_export,
    notebook_parameters,
    notebook_root,
    validate_parameters,
)

log = logging.getLogger(__name__)

MANIFEST_SCHEMA_VERSION = 1
#: Files the runner writes into every year's folder (the notebook writes the others).
RUNNER_FILES = ("report.ipynb", "report.html", "manifest.json")
FAILED_DIR = "_failed"
FAILURE_FILE = "failure.json"
#: Packages whose versions every manifest records.
RECORDED_PACKAGES = (
    "evalkit",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbconvert",
    "nbclient",
    "nbformat",
    "jupytext",
    "ipykernel",
)

TRENDS_NOTEBOOK = "trends.py"
TRENDS_FOLDER = "trends"

Status = Literal["built", "cached", "failed"]


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass
class BuildResult:
    """What became of one year.

    Attributes
    ----------
    scheme, year : str, int
        The year built.
    status : {"built", "cached", "failed"}
        ``cached`` means nothing changed since the existing output was built.
    out_path : Path or None
        The year's output folder; for a failed run the folder holding the partial notebook
        (None when nothing was run).
    message : str
        One or a few plain sentences for the user.
    seconds : float
        Wall time spent on the year.
    """

    scheme: str
    year: int
    status: Status
    out_path: Path | None
    message: str = ""
    seconds: float = 0.0


def file_record(path: Path, root: Path) -> dict[str, Any]:
    return {
        "path": relative_path(path, root),
        "sha256": sha256_file(path),
        "size": path.stat().st_size,
    }


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@dataclass
class Job:
    scheme: str
    year: int
    notebook: Path
    root: Path
    params: dict[str, Any]
    inputs: list[tuple[str, int, Path]]
    data_dir: Path
    out_dir: Path
    target: Path
    key: str
    title: str | None
    kernel_name: str
    records: dict[str, Any] = field(default_factory=dict)

    @property
    def failed_dir(self) -> Path:
        return self.out_dir / self.scheme / FAILED_DIR / self.target.name


def _default_notebook(scheme: str) -> Path:
    path = paths.project_root() / "notebooks" / load_scheme(scheme).notebook
    if not path.is_file():
        raise EvalkitError(
            f"The notebook of {scheme}, {show_path(path)}, does not exist. Run evalkit from the "
            "project folder (the one holding notebooks/), or pass the notebook to use."
        )
    return path


@functools.cache
def _code_digest() -> str:
    """sha256 over evalkit's own source, configuration and templates."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".yaml", ".j2", ".csv"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def plan(
    scheme: str,
    year: Any,
    *,
    compare_with: Iterable[int] | None,
    data_dir: Path | str | None,
    out_dir: Path | str,
    strict: bool,
    notebook: Path | str | None,
    kernel_name: str,
    parameters: Mapping[str, Any] | None,
    title: str | None,
    folder: str | None = None,
) -> Job:
    """Validate everything and compute the cache key; writes nothing."""
    scheme = check_scheme(scheme)
    nb_path = Path(notebook).absolute() if notebook else _default_notebook(scheme).absolute()
    root = notebook_root(nb_path)
    data_path = (
        Path(data_dir).absolute()
        if data_dir
        else paths.default_data_dir(scheme, root=paths.project_root()).absolute()
    )
    declared = notebook_parameters(nb_path)
    if "output_dir" not in declared:
        raise ParameterError(
            f"{show_path(nb_path)} declares no output_dir parameter (to fix this, add "
            '`output_dir: str = ""` to its parameters cell and write the outputs there).'
        )
    extra = dict(parameters or {})
    clash = sorted(set(extra) & set(RUNNER_PARAMETERS))
    if clash:
        raise ParameterError(
            f"parameters= may not set {', '.join(clash)} (to fix this, pass "
            + ", ".join(f"{c}=..." for c in clash)
            + " as arguments of their own; output_dir is set by the runner)."
        )
    params: dict[str, Any] = {"scheme": scheme, "year": year}
    if "data_dir" in declared or data_dir:
        params["data_dir"] = relative_path(data_path, root)
    if compare_with is None and "compare_with" in declared:
        try:
            earlier = [y for y in paths.available_years(data_path, scheme) if y < int(year)]
        except (TypeError, ValueError):
            earlier = []  # a wrong year: validation below says so
        params["compare_with"] = [max(earlier)] if earlier else None
    elif compare_with is not None:
        params["compare_with"] = (
            list(compare_with) if isinstance(compare_with, (list, tuple)) else compare_with
        )
    if "strict" in declared or strict:
        params["strict"] = strict
    params.update(extra)
    params = validate_parameters(nb_path, params)
    params.pop("output_dir", None)
    year = params["year"]

    compare = params.get("compare_with") or []
    compare = [compare] if isinstance(compare, int) else list(compare)
    inputs = []
    for role, y in [("year", year)] + [("compare", c) for c in compare]:
        export = paths.find_export(data_path, scheme, y)
        if export is None:  # validate_parameters checked it; a file removed meanwhile
            raise ParameterError(
                missing_export(scheme, y, data_path, root, compared=role != "year")
            )
        inputs.append((role, y, export))

    yaml_path = scheme_path(scheme)
    evalkit_version = package_version("evalkit") or "0+unknown"
    records = {
        "notebook": file_record(nb_path, root),
        "scheme_config": file_record(yaml_path, root),
        "inputs": [{"role": role, "year": y, **file_record(p, root)} for role, y, p in inputs],
    }
    key_material = {
        "notebook_sha256": records["notebook"]["sha256"],
        "parameters": params,
        "inputs": [[r["role"], r["year"], r["sha256"]] for r in records["inputs"]],
        "scheme_yaml_sha256": records["scheme_config"]["sha256"],
        "evalkit_version": evalkit_version,
        # an editable install keeps its version number while its code changes: the code
        # itself is part of the key, so a changed evalkit never serves a stale document
        "evalkit_code_sha256": _code_digest(),
        "title": title,
    }
    key = hashlib.sha256(canonical_json(key_material).encode("utf-8")).hexdigest()
    out_path = Path(out_dir).absolute()
    return Job(
        scheme=scheme,
        year=year,
        notebook=nb_path,
        root=root,
        params=params,
        inputs=inputs,
        data_dir=data_path,
        out_dir=out_path,
        target=(out_path / scheme / folder)
        if folder
        else paths.year_output_dir(out_path, scheme, year),
        key=key,
        title=title,
        kernel_name=kernel_name,
        records=records,
    )


def current_manifest(job: Job) -> dict[str, Any] | None:
    """The existing manifest when its cache key matches and all its outputs exist."""
    try:
        manifest = json.loads((job.target / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("cache_key") != job.key:
        return None
    names = set(RUNNER_FILES) | {o.get("path", "") for o in manifest.get("outputs", [])}
    if all((job.target / n).is_file() for n in names if n):
        return manifest
    return None
