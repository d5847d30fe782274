"""Build the per-year documents: run a scheme's notebook with papermill, export HTML, cache.

One year of one scheme is built by :func:`report_year`:

1. **Validate** the notebook parameters against the typed parameters cell
   (:func:`notebook_parameters`, :func:`validate_parameters`). Unknown, missing, wrongly typed
   or out-of-range values raise :class:`~evalkit.errors.ParameterError` with the fix, before
   anything is written.
2. **Cache** (as DVC and ploomber do it): the sha256 of the notebook bytes, the validated
   parameters, every export the year reads (its own and every compared year's), the scheme YAML
   and the evalkit version is compared with the ``cache_key`` of the existing
   ``manifest.json``; when they match and every output file is there, nothing runs.
3. **Execute** the jupytext notebook in process with papermill on the project kernel
   (:data:`KERNEL_NAME`, registered on first use), in a staging folder beside the target.
4. **Export** ``report.html`` with nbconvert (code hidden with ``exclude_input``, figures
   embedded, no script or stylesheet loaded from the network), write ``manifest.json``.
5. **Swap** the staging folder into ``outputs/<scheme>/<year>/``. A failed year leaves the
   previous output as it was and puts the partial notebook in
   ``outputs/<scheme>/_failed/<year>/``.

:func:`build` does this for every year found in the data and writes ``outputs/index.html``
(:func:`write_index`).

Heavy imports (papermill, nbconvert, jupytext, jupyter_client) happen only when a notebook is
executed, so checking the cache of every year costs little more than hashing the inputs.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import difflib
import functools
import hashlib
import html
import json
import logging
import numbers
import os
import platform
import re
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from evalkit import paths
from evalkit.config import available_schemes, load_scheme, scheme_path
from evalkit.errors import EvalkitError, ParameterError

log = logging.getLogger(__name__)

#: The project's Jupyter kernel; registered (pointing at this Python) when missing.
KERNEL_NAME = "evalkit"
KERNEL_DISPLAY_NAME = "Python (evalkit)"
MANIFEST_SCHEMA_VERSION = 1
#: Files the runner writes into every year's folder (the notebook writes the others).
RUNNER_FILES = ("report.ipynb", "report.html", "manifest.json")
FAILED_DIR = "_failed"
FAILURE_FILE = "failure.json"
#: Parameters the runner itself sets; not accepted in ``parameters=``.
RUNNER_PARAMETERS = ("scheme", "year", "compare_with", "data_dir", "output_dir", "strict")
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


# --------------------------------------------------------------------------------------------
# Parameters: parse the typed parameters cell, validate what arrives
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """One assignment of a notebook's parameters cell.

    Attributes
    ----------
    name : str
        The variable name.
    annotation : str or None
        The type annotation as written (``"list[int] | None"``); None for an untyped assignment,
        whose type is then taken from its default.
    default : object
        The default value (a Python literal) or, when ``literal`` is False, its source text.
    has_default : bool
        False for a bare annotation (``year: int``): the parameter must be given.
    literal : bool
        Whether ``default`` is a literal the runner can check and pass on.
    line : int
        Line of the assignment in the notebook file (0 when unknown).
    """

    name: str
    annotation: str | None
    default: Any = None
    has_default: bool = True
    literal: bool = True
    line: int = 0

    @property
    def declaration(self) -> str:
        """The assignment as written in the notebook, e.g. ``year: int = 2022``."""
        text = self.name + (f": {self.annotation}" if self.annotation else "")
        if self.has_default:
            text += f" = {self.default!r}" if self.literal else f" = {self.default}"
        return text

    @property
    def type_text(self) -> str:
        if self.annotation:
            return self.annotation
        if self.has_default and self.literal and self.default is not None:
            return type(self.default).__name__
        return "any"

    def annotation_node(self) -> ast.expr | None:
        if self.annotation:
            return ast.parse(self.annotation, mode="eval").body
        if self.has_default and self.literal and self.default is not None:
            return ast.Name(id=type(self.default).__name__)
        return None


_CELL_HEADER = re.compile(r"^# %%(?P<rest>.*)$")
_TAGS = re.compile(r"\btags\s*=\s*(\[[^\]]*\])")


def _parameters_cell(path: Path) -> tuple[str, int]:
    """Source of the cell tagged ``parameters`` and the file line its body starts on."""
    if not path.is_file():
        raise EvalkitError(f"Notebook {_show(path)} does not exist.")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        nb = json.loads(text)
        for cell in nb.get("cells", []):
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                src = cell.get("source", "")
                return ("".join(src) if isinstance(src, list) else src), 0
    else:
        lines = text.splitlines()
        headers = [i for i, line in enumerate(lines) if _CELL_HEADER.match(line)]
        for n, i in enumerate(headers):
            m = _TAGS.search(_CELL_HEADER.match(lines[i]).group("rest"))
            if not m:
                continue
            try:
                tags = json.loads(m.group(1))
            except json.JSONDecodeError:
                continue
            if "parameters" in tags:
                end = headers[n + 1] if n + 1 < len(headers) else len(lines)
                return "\n".join(lines[i + 1 : end]) + "\n", i + 2
    raise ParameterError(
        f"Notebook {_show(path)} has no parameters cell (to fix this, put the typed parameters "
        '`scheme: str = ...`, `year: int = ...` in a cell headed `# %% tags=["parameters"]`).'
    )


def notebook_parameters(notebook: Path | str) -> dict[str, Param]:
    """Parse the parameters cell of a notebook (py:percent or .ipynb) with :mod:`ast`.

    Parameters
    ----------
    notebook : Path or str
        The notebook file.

    Returns
    -------
    dict of str to Param
        In the order of the cell.

    Raises
    ------
    ParameterError
        No cell tagged ``parameters``, invalid Python, or a statement other than an assignment.
    """
    path = Path(notebook)
    source, first_line = _parameters_cell(path)
    where = _show(path)
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        line = first_line + (err.lineno or 1) - 1 if first_line else err.lineno
        raise ParameterError(
            f"{where}, line {line}: the parameters cell is not valid Python ({err.msg}) "
            "(to fix this, correct that line; the cell holds assignments such as `year: int = 2022`)."
        ) from None
    out: dict[str, Param] = {}
    for node in tree.body:
        line = first_line + node.lineno - 1 if first_line else 0
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, annotation, value = node.target.id, ast.unparse(node.annotation), node.value
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name, annotation, value = node.targets[0].id, None, node.value
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare string
        else:
            raise ParameterError(
                f"{where}, line {line}: the parameters cell may hold only typed assignments such "
                f"as `year: int = 2022`, not `{ast.unparse(node)[:60]}` (to fix this, move that "
                "statement to the next cell)."
            )
        if value is None:
            out[name] = Param(name, annotation, None, has_default=False, line=line)
            continue
        try:
            default, literal = ast.literal_eval(value), True
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            default, literal = ast.unparse(value), False
        out[name] = Param(name, annotation, default, True, literal, line)
    return out


class _Mismatch(Exception):
    pass


_TRUE = {"true", "1", "yes", "ja", "y", "j"}
_FALSE = {"false", "0", "no", "nei", "n"}
_SEQUENCES = {"list", "List", "Sequence", "tuple", "Tuple", "Iterable"}
_MAPPINGS = {"dict", "Dict", "Mapping"}


def _node_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ""


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def _convert_union(value: Any, members: list[ast.expr], coerce: bool) -> Any:
    for allow in (False, True) if coerce else (False,):
        for member in members:
            try:
                return _convert(value, member, allow)
            except _Mismatch:
                continue
    raise _Mismatch


def _convert(value: Any, node: ast.expr | None, coerce: bool) -> Any:
    """Check ``value`` against an annotation; with ``coerce``, convert command-line strings."""
    if node is None:
        return value
    if isinstance(node, ast.Constant) and node.value is None:
        if value is None:
            return None
        raise _Mismatch
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _convert_union(value, _union_members(node), coerce)
    if isinstance(node, ast.Subscript):
        base = _node_name(node.value)
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base == "Optional":
            return _convert_union(value, [args[0], ast.Constant(None)], coerce)
        if base == "Union":
            return _convert_union(value, args, coerce)
        if base in _SEQUENCES:
            if isinstance(value, (list, tuple)):
                return [_convert(v, args[0], coerce) for v in value]
            raise _Mismatch
        if base in _MAPPINGS:
            if isinstance(value, Mapping):
                return dict(value)
            raise _Mismatch
        return value  # a generic the runner does not know: the notebook checks it
    name = _node_name(node)
    if name == "None":
        return _convert(value, ast.Constant(None), coerce)
    if name == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        raise _Mismatch
    if name == "int":
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if coerce and isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
        raise _Mismatch
    if name == "float":
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        if coerce and isinstance(value, str):
            try:
                return float(value.replace(",", "."))
            except ValueError:
                raise _Mismatch from None
        raise _Mismatch
    if name == "bool":
        if isinstance(value, bool):
            return value
        if coerce and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Mismatch
    if name in _SEQUENCES:
        if isinstance(value, (list, tuple)):
            return list(value)
        raise _Mismatch
    if name in _MAPPINGS:
        if isinstance(value, Mapping):
            return dict(value)
        raise _Mismatch
    return value  # Any, object or a type the runner does not know


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _type_error(where: str, param: Param, value: Any) -> str:
    expected = param.type_text
    if isinstance(value, (list, tuple)) and not re.search(r"\b(list|tuple|Sequence)\b", expected):
        fix = f"pass a single value, e.g. {param.name}={param.default!r}"
    elif param.has_default and param.literal:
        fix = f"pass a value of type {expected}, e.g. {param.name}={param.default!r}"
    else:
        fix = f"pass a value of type {expected}"
    return (
        f"Wrong type for parameter {param.name!r} of {where}: expected {expected} (declared "
        f"`{param.declaration}`), got {_describe(value)} (to fix this, {fix})."
    )


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def _years_text(years: Iterable[int]) -> str:
    return ", ".join(str(y) for y in years)


def _check_scheme(scheme: Any) -> str:
    known = available_schemes()
    if not isinstance(scheme, str) or scheme not in known:
        raise ParameterError(
            f"Unknown scheme {scheme!r}.{_suggest(str(scheme), known)} (to fix this, choose one "
            f"of: {', '.join(known)})."
        )
    return scheme


def _missing_export(scheme: str, year: int, data_dir: Path, root: Path, *, compared: bool) -> str:
    years = paths.available_years(data_dir, scheme)
    where = data_dir.absolute()
    default_dirs = {
        (root / paths.DEFAULT_RAW_DIR).absolute(),
        (root / paths.DEFAULT_DEMO_DIR).absolute(),
    }
    put = (paths.DEFAULT_RAW_DIR if where in default_dirs else data_dir) / scheme / f"{year}.xlsx"
    others = [y for y in years if y != year]
    if compared:
        head = f"Cannot compare with {year}: no export for {scheme} {year} in {_show(data_dir / scheme)}/."
        tail = f"compare with one of {_years_text(others)}" if others else "leave out compare_with"
    else:
        head = f"No export for {scheme} {year} in {_show(data_dir / scheme)}/."
        tail = (
            f"choose one of {_years_text(others)}"
            if others
            else "point data_dir at the folder that holds the exports"
        )
    return f"{head} Put the file at {_show(put)}, or {tail}."


def validate_parameters(notebook: Path | str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check parameters against the notebook's typed parameters cell, before anything runs.

    Parameters
    ----------
    notebook : Path or str
        The notebook whose parameters cell declares the parameters.
    params : mapping
        The values to pass. Strings from a command line are converted where the declared type
        asks for it (``"2022"`` for an ``int``); anything else of the wrong type is an error.

    Returns
    -------
    dict
        Every parameter with a literal default or a given value, in the cell's order, converted.

    Raises
    ------
    ParameterError
        One message listing every problem, each with how to fix it: unknown (with the nearest
        name), missing, of the wrong type, or out of range (an unknown scheme, a year before the
        scheme's first year, a year or compared year without an export in ``data_dir``).
    """
    path = Path(notebook)
    declared = notebook_parameters(path)
    where = _show(path)
    problems: list[str] = []
    values: dict[str, Any] = {}

    for name in params:
        if name not in declared:
            problems.append(
                f"Unknown parameter {name!r} for {where}.{_suggest(name, declared)} (to fix this, "
                f"use one of the parameters the notebook declares: {', '.join(declared)})."
            )
    missing = [p for p in declared.values() if not p.has_default and p.name not in params]
    if missing:
        names = ", ".join(p.name for p in missing)
        problems.append(
            f"Missing params: {names} for {where} (to fix this, pass "
            + ", ".join(f"{p.name}=<{p.type_text}>" for p in missing)
            + ", or give them a default in the parameters cell)."
        )
    for p in declared.values():
        if p.name in params:
            try:
                values[p.name] = _convert(params[p.name], p.annotation_node(), coerce=True)
            except _Mismatch:
                problems.append(_type_error(where, p, params[p.name]))
        elif p.has_default and p.literal:
            values[p.name] = copy.deepcopy(p.default)
    if problems:
        raise ParameterError("\n".join(problems))

    # Range: the scheme, its first year, and data for the year and every compared year.
    scheme = values.get("scheme")
    if scheme is None:
        return values
    _check_scheme(scheme)
    first_year = load_scheme(scheme).first_year
    root = _notebook_root(path)
    data_dir = values.get("data_dir") or ""
    data_path = _resolve(data_dir, root) if data_dir else paths.default_data_dir(scheme, root=root)
    year = values.get("year")
    compare = values.get("compare_with")
    compare = [compare] if isinstance(compare, int) else list(compare or [])
    available = paths.available_years(data_path, scheme)
    for y, compared in ([(year, False)] if isinstance(year, int) else []) + [
        (c, True) for c in compare if isinstance(c, int)
    ]:
        label = "compared year" if compared else "year"
        if y < first_year:
            later = [a for a in available if a >= first_year and a != year]
            problems.append(
                f"The {label} {y} is before {scheme} started in {first_year} (to fix this, choose "
                f"a year from {first_year} on"
                + (f": one of {_years_text(later)})." if later else ").")
            )
        elif compared and y == year:
            others = [a for a in available if a != year]
            problems.append(
                f"compare_with holds {y}, the year of the document itself (to fix this, compare "
                + (f"with one of {_years_text(others)})." if others else "with nothing).")
            )
        elif y not in available:
            problems.append(_missing_export(scheme, y, data_path, root, compared=compared))
    if problems:
        raise ParameterError("\n".join(problems))
    return values


# --------------------------------------------------------------------------------------------
# Paths and hashing
# --------------------------------------------------------------------------------------------
def project_root() -> Path:
    """The folder holding ``notebooks/`` (see :func:`evalkit.paths.project_root`)."""
    return paths.project_root()


def _notebook_root(notebook: Path) -> Path:
    """The folder a notebook runs in: the one holding its ``notebooks/`` folder."""
    nb = notebook.absolute()
    if nb.parent.name == "notebooks":
        return nb.parent.parent
    return project_root()


def _resolve(path: Path | str, root: Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else root / path


def _relative_to(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (posix), else absolute."""
    path = path.absolute()
    try:
        return path.relative_to(root.absolute()).as_posix()
    except ValueError:
        return str(path)


def _show(path: Path | str) -> str:
    """A path as the user knows it: relative to the working folder when inside it."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_record(path: Path, root: Path) -> dict[str, Any]:
    return {"path": _relative_to(path, root), "sha256": _sha256(path), "size": path.stat().st_size}


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _write_text_atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------------------------
# Kernel
# --------------------------------------------------------------------------------------------
_kernel_lock = threading.Lock()
_kernels_checked: set[str] = set()


def ensure_kernel(name: str = KERNEL_NAME) -> None:
    """Make sure the Jupyter kernel ``name`` exists; register the project kernel if missing.

    The project kernel (:data:`KERNEL_NAME`) runs this Python (``sys.executable``) and is
    written to ``sys.prefix/share/jupyter/kernels/evalkit``, as
    ``ipykernel install --prefix sys.prefix`` does.
    """
    with _kernel_lock:
        if name in _kernels_checked:
            return
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        try:
            spec = KernelSpecManager().get_kernel_spec(name)
        except NoSuchKernel:
            if name != KERNEL_NAME:
                raise EvalkitError(
                    f"No Jupyter kernel named {name!r}. Register it (python -m ipykernel install "
                    f"--sys-prefix --name {name}), or leave kernel_name at {KERNEL_NAME!r}."
                ) from None
            folder = Path(sys.prefix) / "share" / "jupyter" / "kernels" / name
            folder.mkdir(parents=True, exist_ok=True)
            spec_json = {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": KERNEL_DISPLAY_NAME,
                "language": "python",
                "metadata": {"debugger": True},
            }
            _write_text_atomic(folder / "kernel.json", json.dumps(spec_json, indent=1) + "\n")
            log.info("Registered the Jupyter kernel %r in %s", name, folder)
        else:
            if (
                name == KERNEL_NAME
                and spec.argv
                and Path(spec.argv[0]).parent != Path(sys.executable).parent
            ):
                log.warning(
                    "The kernel %r runs %s, not this Python (%s); documents may be built with "
                    "other package versions.",
                    name,
                    spec.argv[0],
                    sys.executable,
                )
        _kernels_checked.add(name)


# --------------------------------------------------------------------------------------------
# One year
# --------------------------------------------------------------------------------------------
@dataclass
class _Job:
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
    path = project_root() / "notebooks" / load_scheme(scheme).notebook
    if not path.is_file():
        raise EvalkitError(
            f"The notebook of {scheme}, {_show(path)}, does not exist. Run evalkit from the "
            "project folder (the one holding notebooks/), or pass the notebook to use."
        )
    return path


@functools.cache
def _code_digest() -> str:
    """sha256 over evalkit's own source, configuration and templates."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".yaml", ".j2", ".csv"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _plan(
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
) -> _Job:
    """Validate everything and compute the cache key; writes nothing."""
    scheme = _check_scheme(scheme)
    nb_path = Path(notebook).absolute() if notebook else _default_notebook(scheme).absolute()
    root = _notebook_root(nb_path)
    data_path = (
        Path(data_dir).absolute()
        if data_dir
        else paths.default_data_dir(scheme, root=project_root()).absolute()
    )
    declared = notebook_parameters(nb_path)
    if "output_dir" not in declared:
        raise ParameterError(
            f"{_show(nb_path)} declares no output_dir parameter (to fix this, add "
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
        params["data_dir"] = _relative_to(data_path, root)
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
                _missing_export(scheme, y, data_path, root, compared=role != "year")
            )
        inputs.append((role, y, export))

    yaml_path = scheme_path(scheme)
    evalkit_version = _package_version("evalkit") or "0+unknown"
    records = {
        "notebook": _file_record(nb_path, root),
        "scheme_config": _file_record(yaml_path, root),
        "inputs": [{"role": role, "year": y, **_file_record(p, root)} for role, y, p in inputs],
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
    key = hashlib.sha256(_canonical_json(key_material).encode("utf-8")).hexdigest()
    out_path = Path(out_dir).absolute()
    return _Job(
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


def _current_manifest(job: _Job) -> dict[str, Any] | None:
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


def report_year(
    scheme: str,
    year: int,
    *,
    compare_with: Iterable[int] | None = None,
    data_dir: Path | str | None = None,
    out_dir: Path | str = "outputs",
    force: bool = False,
    strict: bool = False,
    notebook: Path | str | None = None,
    kernel_name: str = KERNEL_NAME,
    parameters: Mapping[str, Any] | None = None,
    title: str | None = None,
    folder: str | None = None,
) -> BuildResult:
    """Build (or find up to date) the document of one scheme and year.

    Parameters
    ----------
    scheme : str
        Scheme name (a YAML in ``evalkit/schemes``).
    year : int
        The year; ``"2022"`` from a command line is accepted.
    compare_with : list of int, optional
        Years to compare with. Default: the latest earlier year with data (none if there is
        none); ``[]`` compares with nothing.
    data_dir : Path or str, optional
        Folder holding ``<scheme>/<year>.<ext>``. Default: ``data/raw`` when it holds the
        scheme's files, else ``data/demo``.
    out_dir : Path or str
        The outputs folder; the year goes to ``out_dir/<scheme>/<year>/``.
    force : bool
        Rebuild even when the cache says nothing changed.
    strict : bool
        Passed to the notebook (stop on unknown category values).
    notebook : Path or str, optional
        The notebook to run; default ``notebooks/<scheme YAML's notebook>``.
    kernel_name : str
        Jupyter kernel, passed to papermill explicitly.
    parameters : mapping, optional
        Further notebook parameters (validated like the rest).
    title : str, optional
        Title of ``report.html``; default the document's first heading.
    folder : str, optional
        Output folder name under ``out_dir/<scheme>/`` instead of the year (``trends``).

    Returns
    -------
    BuildResult
        ``built``, ``cached`` or ``failed`` (a cell raised, or the kernel died: the partial
        notebook is kept in ``out_dir/<scheme>/_failed/<year>/``, the previous output is kept).

    Raises
    ------
    ParameterError
        A parameter is unknown, missing, of the wrong type or out of range; nothing is written.
    """
    started = time.perf_counter()
    job = _plan(
        scheme,
        year,
        compare_with=compare_with,
        data_dir=data_dir,
        out_dir=out_dir,
        strict=strict,
        notebook=notebook,
        kernel_name=kernel_name,
        folder=folder,
        parameters=parameters,
        title=title,
    )
    if not force:
        manifest = _current_manifest(job)
        if manifest is not None:
            if job.failed_dir.exists():  # an older failure; the output matches the inputs now
                shutil.rmtree(job.failed_dir, ignore_errors=True)
            log.info("%s %s: up to date (cache key %s)", job.scheme, job.year, job.key[:12])
            return BuildResult(
                job.scheme,
                job.year,
                "cached",
                job.target,
                f"Up to date: nothing changed since {manifest.get('created', 'the last build')} "
                "(force=True / --force rebuilds).",
                time.perf_counter() - started,
            )
    return _execute(job, started)


_HTML_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_EXTERNAL_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL
)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.IGNORECASE)
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.IGNORECASE | re.DOTALL)
_RUNNER_TAGS = {"parameters", "injected-parameters"}
_NBCONVERT_ALT = "No description has been provided for this image"
#: nbconvert warns about figures without alternative text on every export; errors only.
_NBCONVERT_LOG = logging.getLogger(f"{__name__}.nbconvert")
_NBCONVERT_LOG.setLevel(logging.ERROR)


def _first_heading(nb: Any) -> str | None:
    """The first heading a reader sees: a Markdown cell's, or a displayed Markdown/HTML one."""
    for cell in nb.cells:
        texts: list[tuple[str, str]] = []
        if cell.cell_type == "markdown":
            texts.append(("md", cell.source))
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/markdown" in data:
                    texts.append(("md", _join(data["text/markdown"])))
                elif "text/html" in data:
                    texts.append(("html", _join(data["text/html"])))
        for kind, text in texts:
            m = (_MD_HEADING if kind == "md" else _HTML_HEADING).search(text)
            if m:
                plain = re.sub(r"<[^>]+>", "", m.group(1))
                plain = re.sub(r"[*_`]+", "", plain)
                return html.unescape(plain).strip() or None
    return None


def _join(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _export_html(nb: Any, title: str) -> str:
    """``report.html``: no code, no prompts, figures embedded, nothing loaded from the network."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    reader_nb = copy.deepcopy(nb)
    cells = []
    for cell in reader_nb.cells:
        if _RUNNER_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":  # warnings are for the record (report.ipynb), not readers
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
        cells.append(cell)
    reader_nb.cells = cells
    reader_nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[
            DictLoader(
                {
                    "evalkit_report.html.j2": (
                        Path(__file__).parent / "templates" / "report.html.j2"
                    ).read_text(encoding="utf-8")
                }
            )
        ],
        template_file="evalkit_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code="nb",
        mathjax_url="",
        require_js_url="",
        jquery_url="",
        mermaid_js_url="",
        mermaid_layout_elk_js_url="",
        widget_renderer_url="",
        jupyter_widgets_base_url="",
        log=_NBCONVERT_LOG,
    )
    body, _ = exporter.from_notebook_node(reader_nb, resources={"metadata": {"name": title}})
    body = body.replace(f'alt="{_NBCONVERT_ALT}"', 'alt="Figur"')
    stripped = _EXTERNAL_LINK.sub("", _EXTERNAL_SCRIPT.sub("", body))
    if stripped != body:
        log.warning("Removed script or stylesheet links to the network from report.html")
    return stripped


def _patch_record(nb: Any, job: _Job, staging_text: str, final_text: str) -> None:
    """Point the executed notebook's record at the notebook file and the final folder."""
    pm = nb.metadata.setdefault("papermill", {})
    pm["input_path"] = _relative_to(job.notebook, job.root)
    pm["output_path"] = f"{final_text}/report.ipynb"
    if isinstance(pm.get("parameters"), dict) and "output_dir" in pm["parameters"]:
        pm["parameters"]["output_dir"] = final_text
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = cell.source.replace(staging_text, final_text)
    nb.metadata["kernelspec"] = {
        "name": job.kernel_name,
        "display_name": KERNEL_DISPLAY_NAME if job.kernel_name == KERNEL_NAME else job.kernel_name,
        "language": "python",
    }


def _source_cell_number(nb_source: Any, cell_index: int) -> int:
    """1-based number of the failing cell in the notebook as written (papermill's index counts
    the injected parameters cell)."""
    params_at = next(
        (i for i, c in enumerate(nb_source.cells) if "parameters" in c.metadata.get("tags", [])),
        None,
    )
    if params_at is not None and cell_index > params_at:
        cell_index -= 1
    return cell_index + 1


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging``: move the old one aside, move the new one in, remove
    the old one. If the second rename fails the old one is put back."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fail(
    job: _Job,
    staging: Path,
    started: float,
    reason: str,
    details: dict[str, Any],
    executed: Any = None,
    staging_text: str = "",
) -> BuildResult:
    """Keep the partial notebook in ``_failed/<year>/``; leave the good output alone."""
    failed = job.failed_dir
    partial = staging / "report.ipynb"
    if failed.exists():
        shutil.rmtree(failed)
    failed.parent.mkdir(parents=True, exist_ok=True)
    if executed is not None and partial.exists():
        import nbformat

        try:
            _patch_record(executed, job, staging_text, _relative_to(failed, job.root))
            nbformat.write(executed, str(partial))
        except Exception:  # the record is a courtesy; the failure is what matters
            log.debug("could not tidy the partial notebook", exc_info=True)
    os.replace(staging, failed)
    has_partial = (failed / "report.ipynb").exists()
    message = f"{reason}."
    if has_partial:
        message += f" The partial notebook is at {_show(failed / 'report.ipynb')}."
    if (job.target / "manifest.json").exists():
        message += f" The previous document in {_show(job.target)}/ is kept."
    record = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "scheme": job.scheme,
        "year": job.year,
        "status": "failed",
        "message": message,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "cache_key": job.key,
        **details,
    }
    _write_text_atomic(
        failed / FAILURE_FILE, json.dumps(record, indent=1, ensure_ascii=False) + "\n"
    )
    log.error("%s %s failed: %s", job.scheme, job.year, message)
    return BuildResult(
        job.scheme, job.year, "failed", failed, message, time.perf_counter() - started
    )


class _DropPapermillNoise(logging.Filter):
    """Papermill's regex reading of the parameters cell misreads typed parameters and comments
    ("Passed unknown parameter", "Unable to parse line"); the runner validated them with ast."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        return not text.startswith(("Passed unknown parameter", "Unable to parse line"))


_NOISE_FILTER = _DropPapermillNoise()


def _quiet_papermill() -> None:
    for name in ("papermill", "papermill.translators"):
        logger = logging.getLogger(name)
        if _NOISE_FILTER not in logger.filters:
            logger.addFilter(_NOISE_FILTER)


def _execute(job: _Job, started: float) -> BuildResult:
    import jupytext
    import nbformat

    ensure_kernel(job.kernel_name)
    _quiet_papermill()
    if job.notebook.suffix == ".ipynb":
        source_nb = nbformat.read(str(job.notebook), as_version=4)
    else:
        source_nb = jupytext.read(job.notebook, fmt="py:percent")
    source_nb.metadata["kernelspec"] = {
        "name": job.kernel_name,
        "display_name": job.kernel_name,
        "language": "python",
    }
    job.target.parent.mkdir(parents=True, exist_ok=True)
    staging = job.target.parent / f".{job.year}.staging-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        return _execute_in(job, staging, source_nb, started)
    finally:  # swapped in or moved to _failed/ by now, unless interrupted
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _execute_in(job: _Job, staging: Path, source_nb: Any, started: float) -> BuildResult:
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    shown_nb = _show(job.notebook)
    staging_text = _relative_to(staging, job.root)
    final_text = _relative_to(job.target, job.root)
    parameters = {**job.params, "output_dir": staging_text}
    log.info("%s %s: running %s", job.scheme, job.year, shown_nb)
    try:
        executed = pm.execute_notebook(
            copy.deepcopy(source_nb),
            str(staging / "report.ipynb"),
            parameters=parameters,
            kernel_name=job.kernel_name,
            language="python",
            progress_bar=False,
            log_output=False,
            # the kernel's working folder, given to nbclient: papermill's own cwd= calls
            # os.chdir, which would move every thread of a parallel build
            resources={"metadata": {"path": str(job.root)}},
            # ipykernel 7 warns on every start that its local TCP sockets are unencrypted
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as err:
        number = _source_cell_number(source_nb, err.cell_index)
        evalue = str(err.evalue).strip()
        if len(evalue) > 300:
            evalue = evalue[:297] + "..."
        line = None
        if job.notebook.suffix == ".py" and err.source.strip():
            text = job.notebook.read_text(encoding="utf-8")
            at = text.find(err.source.strip().splitlines()[0])
            line = text.count("\n", 0, at) + 1 if at >= 0 else None
        partial = None
        try:
            partial = nbformat.read(str(staging / "report.ipynb"), as_version=4)
        except Exception:
            log.debug("no partial notebook", exc_info=True)
        return _fail(
            job,
            staging,
            started,
            f"{shown_nb}, cell {number}: {err.ename}: {evalue}",
            {
                "notebook": _relative_to(job.notebook, job.root),
                "cell": number,
                "line": line,
                "execution_count": err.exec_count,
                "ename": err.ename,
                "evalue": str(err.evalue),
            },
            partial,
            staging_text,
        )
    except Exception as err:  # the kernel died or timed out, papermill could not start, ...
        log.debug("notebook run failed", exc_info=True)
        return _fail(
            job,
            staging,
            started,
            f"{shown_nb}: {type(err).__name__}: {str(err).strip() or 'no message'}",
            {
                "notebook": _relative_to(job.notebook, job.root),
                "ename": type(err).__name__,
                "evalue": str(err),
            },
        )

    try:
        _patch_record(executed, job, staging_text, final_text)
        nbformat.write(executed, str(staging / "report.ipynb"))
        title = job.title or _first_heading(executed) or f"{job.scheme} {job.year}"
        (staging / "report.html").write_text(_export_html(executed, title), encoding="utf-8")
        if not (staging / "metrics.json").exists():
            log.warning("%s %s: the notebook wrote no metrics.json", job.scheme, job.year)
        outputs = [
            {
                "path": p.relative_to(staging).as_posix(),
                "sha256": _sha256(p),
                "size": p.stat().st_size,
            }
            for p in sorted(staging.rglob("*"))
            if p.is_file() and p.name != "manifest.json"
        ]
        seconds = time.perf_counter() - started
        manifest = {
            "schema_version": MANIFEST_SCHEMA_VERSION,
            "scheme": job.scheme,
            "year": job.year,
            "title": title,
            "status": "built",
            "cache_key": job.key,
            "cache_key_covers": [
                "notebook.sha256",
                "parameters",
                "inputs[].sha256",
                "scheme_config.sha256",
                "versions.evalkit",
            ],
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 2),
            "notebook": job.records["notebook"],
            "scheme_config": job.records["scheme_config"],
            "parameters": job.params,
            "data_dir": _relative_to(job.data_dir, job.root),
            "synthetic": paths.is_synthetic(job.data_dir),
            "inputs": job.records["inputs"],
            "outputs": outputs,
            "kernel": job.kernel_name,
            "versions": {
                "python": platform.python_version(),
                **{name: _package_version(name) for name in RECORDED_PACKAGES},
            },
            "platform": platform.platform(),
        }
        _write_text_atomic(
            staging / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
        )
        _swap_in(staging, job.target)
    except Exception as err:
        log.debug("finishing the document failed", exc_info=True)
        return _fail(
            job,
            staging,
            started,
            f"{shown_nb} ran, but the document could not be finished: {type(err).__name__}: {err}",
            {"ename": type(err).__name__, "evalue": str(err)},
        )
    if job.failed_dir.exists():
        shutil.rmtree(job.failed_dir, ignore_errors=True)
    seconds = time.perf_counter() - started
    log.info("%s %s: built in %.1f s", job.scheme, job.year, seconds)
    return BuildResult(
        job.scheme, job.year, "built", job.target, f"Built {_show(job.target)}/.", seconds
    )


TRENDS_NOTEBOOK = "trends.py"
TRENDS_FOLDER = "trends"


def report_trends(
    scheme: str,
    *,
    data_dir: Path | str | None = None,
    out_dir: Path | str = "outputs",
    force: bool = False,
    kernel_name: str = KERNEL_NAME,
) -> BuildResult:
    """Build the trends document of ``scheme`` over every year with data, into
    ``out_dir/<scheme>/trends/``. Its cache covers every year's export."""
    folder = Path(data_dir) if data_dir else paths.default_data_dir(scheme, root=project_root())
    years = paths.available_years(folder, scheme)
    if len(years) < 2:
        raise ParameterError(
            f"A trends document needs at least two years of {scheme} in {_show(folder / scheme)} "
            f"(found {_years_text(years) or 'none'}). To fix this, add more years' exports."
        )
    result = report_year(
        scheme,
        years[-1],
        compare_with=years[:-1],
        data_dir=folder,
        out_dir=out_dir,
        force=force,
        notebook=project_root() / "notebooks" / TRENDS_NOTEBOOK,
        kernel_name=kernel_name,
        folder=TRENDS_FOLDER,
    )
    return dataclasses.replace(result, year=TRENDS_FOLDER)


# --------------------------------------------------------------------------------------------
# Every year, and the index
# --------------------------------------------------------------------------------------------
def build(
    schemes: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    *,
    data_dir: Path | str | None = None,
    out_dir: Path | str = "outputs",
    jobs: int = 1,
    force: bool = False,
    progress: bool = True,
    notebook: Path | str | None = None,
    trends: bool = True,
) -> list[BuildResult]:
    """Build every year found in the data, go on past failures, then write ``index.html``.

    Parameters
    ----------
    schemes : list of str, optional
        Default: every scheme.
    years : list of int, optional
        Only these years (those without data are skipped). Default: every year with data.
    data_dir : Path or str, optional
        Default per scheme: ``data/raw`` when it holds the scheme's files, else ``data/demo``.
    out_dir : Path or str
        The outputs folder.
    jobs : int
        Years run at the same time (threads; each run has its own kernel process).
    force : bool
        Rebuild even when nothing changed.
    progress : bool
        Show a progress bar (tqdm, on stderr).
    notebook : Path or str, optional
        Run this notebook instead of each scheme's own.
    trends : bool
        Also build each scheme's trends document (``<scheme>/trends/``) when every year is
        built with the scheme's own notebooks.

    Returns
    -------
    list of BuildResult
        One per year, in scheme and year order.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm.auto import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    wanted = None if years is None else {int(y) for y in years}
    tasks: list[tuple[str, int, Path]] = []
    for scheme in list(schemes) if schemes else available_schemes():
        _check_scheme(scheme)
        folder = Path(data_dir) if data_dir else paths.default_data_dir(scheme, root=project_root())
        found = paths.available_years(folder, scheme)
        chosen = [y for y in found if wanted is None or y in wanted]
        if not chosen:
            log.info("%s: no years to build in %s", scheme, _show(folder / scheme))
        tasks.extend((scheme, y, folder) for y in chosen)
        if trends and notebook is None and wanted is None and len(found) >= 2:
            tasks.append((scheme, TRENDS_FOLDER, folder))

    def one(task: tuple[str, Any, Path]) -> BuildResult:
        scheme, year, folder = task
        started = time.perf_counter()
        try:
            if year == TRENDS_FOLDER:
                return report_trends(scheme, data_dir=folder, out_dir=out_dir, force=force)
            return report_year(
                scheme, year, data_dir=folder, out_dir=out_dir, force=force, notebook=notebook
            )
        except EvalkitError as err:
            log.error("%s %s failed: %s", scheme, year, err)
            return BuildResult(
                scheme, year, "failed", None, str(err), time.perf_counter() - started
            )
        except Exception as err:  # a bug: report it for the year, go on with the others
            log.exception("%s %s failed", scheme, year)
            message = f"{type(err).__name__}: {err}"
            return BuildResult(scheme, year, "failed", None, message, time.perf_counter() - started)

    results: dict[int, BuildResult] = {}
    redirect = logging_redirect_tqdm() if progress else contextlib.nullcontext()
    bar = tqdm(total=len(tasks), disable=not progress, unit="år", desc="evalkit")
    with redirect, bar:
        if jobs <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                bar.set_postfix_str(f"{task[0]} {task[1]}")
                results[i] = one(task)
                bar.update()
        else:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="evalkit") as pool:
                futures = {pool.submit(one, task): i for i, task in enumerate(tasks)}
                for future in as_completed(futures):
                    i = futures[future]
                    results[i] = future.result()
                    bar.set_postfix_str(f"{tasks[i][0]} {tasks[i][1]}: {results[i].status}")
                    bar.update()
    ordered = [results[i] for i in range(len(tasks))]
    write_index(out_dir)
    return ordered


_STATUS_TEXT = {
    "ok": "Ferdig",
    "stale": "Siste kjøring feilet – viser forrige versjon",
    "failed": "Feilet",
    "incomplete": "Ufullstendig (mangler manifest.json)",
}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _number(value: Any, kind: str) -> str:
    from evalkit.text import fmt_int, fmt_nok

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–" if value is None else str(value)
    return fmt_nok(value) if kind == "nok" else fmt_int(value)


def _when(created: Any) -> str:
    try:
        when = datetime.fromisoformat(str(created)).astimezone()
    except ValueError:
        return str(created or "")
    return when.strftime("%d.%m.%Y %H:%M")


def _index_rows(scheme_dir: Path) -> list[dict[str, Any]]:
    failed_root = scheme_dir / FAILED_DIR
    years = {
        int(d.name) for d in scheme_dir.iterdir() if d.is_dir() and re.fullmatch(r"\d{4}", d.name)
    }
    if failed_root.is_dir():
        years |= {
            int(d.name)
            for d in failed_root.iterdir()
            if d.is_dir() and re.fullmatch(r"\d{4}", d.name)
        }
    rows = []
    for year in sorted(years):
        folder = scheme_dir / str(year)
        manifest = _read_json(folder / "manifest.json")
        metrics = _read_json(folder / "metrics.json") or {}
        failed = failed_root / str(year)
        failure = _read_json(failed / FAILURE_FILE) if failed.is_dir() else None
        if failed.is_dir() and failure is None:
            failure = {"message": "Kjøringen feilet (ingen failure.json)."}
        if manifest and failure:
            status = "stale"
        elif manifest:
            status = "ok"
        elif failure:
            status = "failed"
        else:
            status = "incomplete"
        if "n_projects" in metrics:
            count, unit = metrics["n_projects"], "prosjekter"
        elif "n_applications" in metrics:
            count, unit = metrics["n_applications"], "søknader"
        else:
            count, unit = None, ""
        amount = metrics.get("grant_total_nok", metrics.get("granted_total_nok"))
        synthetic = metrics.get("synthetic", (manifest or {}).get("synthetic"))
        rel = f"{scheme_dir.name}/{year}"
        rows.append(
            {
                "year": year,
                "status": status,
                "status_text": _STATUS_TEXT[status],
                "title": (manifest or {}).get("title") or "",
                "count": _number(count, "int") if count is not None else "–",
                "unit": unit,
                "amount": _number(amount, "nok") if amount is not None else "–",
                "synthetic": {True: "ja", False: "nei"}.get(synthetic, "–")
                if isinstance(synthetic, bool) or synthetic is None
                else str(synthetic),
                "created": _when((manifest or {}).get("created")) if manifest else "",
                "html_href": quote(f"{rel}/report.html")
                if (folder / "report.html").is_file()
                else None,
                "ipynb_href": quote(f"{rel}/report.ipynb")
                if (folder / "report.ipynb").is_file()
                else None,
                "failure": (failure or {}).get("message", ""),
                "failed_href": quote(f"{scheme_dir.name}/{FAILED_DIR}/{year}/report.ipynb")
                if (failed / "report.ipynb").is_file()
                else None,
            }
        )
    return rows


def write_index(out_dir: Path | str) -> Path:
    """Write ``out_dir/index.html``: every scheme and year found, status and headline figures.

    Status comes from each year's ``manifest.json`` and ``_failed/<year>/failure.json``; the
    figures (number of projects or applications, the grant total, whether the data are
    synthetic) from each ``metrics.json``. All text is HTML-escaped (Jinja2 autoescape).
    """
    from jinja2 import Environment, FileSystemLoader

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    schemes = []
    for scheme_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        if scheme_dir.name.startswith((".", "_")):
            continue
        rows = _index_rows(scheme_dir)
        if not rows:
            continue
        try:
            title = load_scheme(scheme_dir.name).short_title_nb
        except Exception:  # a folder that is no (longer a) known scheme
            title = scheme_dir.name
        trends_html = scheme_dir / TRENDS_FOLDER / "report.html"
        schemes.append(
            {
                "name": scheme_dir.name,
                "title": title,
                "rows": rows,
                "trends_href": quote(f"{scheme_dir.name}/{TRENDS_FOLDER}/report.html")
                if trends_html.is_file()
                else None,
            }
        )
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    text = env.get_template("index.html.j2").render(
        schemes=schemes,
        created=datetime.now().astimezone().strftime("%d.%m.%Y %H:%M"),
        evalkit_version=_package_version("evalkit") or "0+unknown",
    )
    return _write_text_atomic(out / "index.html", text)
