"""Notebook parameters: read the typed parameters cell, check what arrives.

:func:`notebook_parameters` parses the cell tagged ``parameters`` of a notebook (py:percent or
.ipynb) with :mod:`ast`; :func:`validate_parameters` checks values against it before anything
runs. Unknown, missing, wrongly typed or out-of-range values raise
:class:`~evalkit.errors.ParameterError` with the fix, in the manner of ploomber's
``Missing params: … (to fix this, …)``.
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit import paths
from evalkit.errors import EvalkitError, ParameterError
from evalkit.paths import resolve_path, show_path
from evalkit.scheme_files import available_schemes
from evalkit.scheme_summary import summarize

#: Parameters the runner itself sets; not accepted in ``parameters=``.
RUNNER_PARAMETERS = (
    "scheme",
    "year",
    "compare_with",
    "data_dir",
    "output_dir",
    "strict",
    "cache_dir",
    "lang",
)

#: How a notebook declares the parameters the runner passes (as ``notebooks/year.py`` does),
#: with a default to suggest (None: the value passed).
DECLARATIONS: dict[str, tuple[str, Any]] = {
    "scheme": ("str", None),
    "year": ("int", None),
    "compare_with": ("list[int] | None", "None"),
    "data_dir": ("str", '""'),
    "output_dir": ("str", '""'),
    "strict": ("bool", "False"),
    "scheme_file": ("str", '""'),
    "lang": ("str", '"nb"'),
}


def notebook_root(notebook: Path) -> Path:
    """The folder a notebook runs in: the one holding its ``notebooks/`` folder, else the
    project root."""
    nb = Path(notebook).absolute()
    if nb.parent.name == "notebooks":
        return nb.parent.parent
    return paths.project_root()


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
        raise EvalkitError(f"Notebook {show_path(path)} does not exist.")
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
        f"Notebook {show_path(path)} has no parameters cell (to fix this, put the typed parameters "
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
    where = show_path(path)
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
        if coerce and isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
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


def _at(where: str, param: Param) -> str:
    """«notebooks/x.py, line 25»: where the parameter is declared (the line when known)."""
    return f"{where}, line {param.line}" if param.line else where


def _fits(value: Any, annotation: str) -> bool:
    """Whether ``value`` is of the type ``annotation`` (no command-line conversion)."""
    try:
        _convert(value, ast.parse(annotation, mode="eval").body, coerce=False)
    except _Mismatch:
        return False
    return True


def _is_list_type(annotation: str) -> bool:
    return bool(re.search(r"\b(list|List|tuple|Tuple|Sequence|Iterable)\b", annotation))


def _type_error(where: str, param: Param, value: Any) -> str:
    """One sentence on a value that does not fit its declaration, and which to change.

    A parameter the runner passes (:data:`DECLARATIONS`) with a value of the type the runner
    passes is declared wrongly in the notebook: the fix is the declaration, not the value.
    """
    expected = param.type_text
    standard, suggested = DECLARATIONS.get(param.name, (None, None))
    if standard is not None and standard != expected and _fits(value, standard):
        default = suggested if suggested is not None else repr(value)
        return (
            f"{_at(where, param)}: the parameters cell declares `{param.declaration}`, "
            f"but evalkit passes {param.name} as {standard} ({value!r}) (to fix this, "
            f"declare it as `{param.name}: {standard} = {default}` in the parameters cell)."
        )
    if isinstance(value, (list, tuple)) and not _is_list_type(expected):
        fix = f"pass a single value, e.g. {param.name}={param.default!r}"
    elif not isinstance(value, (list, tuple)) and _is_list_type(expected) and value is not None:
        fix = f"pass a list, e.g. {param.name}=[{value!r}]"
    elif param.has_default and param.literal:
        fix = f"pass a value of type {expected}, e.g. {param.name}={param.default!r}"
    else:
        fix = f"pass a value of type {expected}"
    return (
        f"Wrong type for parameter {param.name!r} of {where}: expected {expected} (declared "
        f"`{param.declaration}`), got {_describe(value)} (to fix this, {fix})."
    )


def _default_error(where: str, param: Param) -> str | None:
    """One sentence on a default in the parameters cell that does not fit its own
    annotation (``year: int = "2023"``, ``compare_with: list[int] | None = 2022``), saying
    what to write instead; None when it fits. Such a default is what JupyterLab runs."""
    if not (param.annotation and param.has_default and param.literal):
        return None
    value = param.default
    if _fits(value, param.annotation):
        return None
    name, annotation = param.name, param.annotation
    head = f"{_at(where, param)}: `{param.declaration}` gives {name}"
    if isinstance(value, str) and _fits(_as_number(value), annotation):
        return (
            f'{head} the text "{value}", not a number (to fix this, remove the quotes: '
            f"`{name}: {annotation} = {_as_number(value)!r}`)."
        )
    if not isinstance(value, (list, tuple)) and _fits([value], annotation):
        return (
            f"{head} the single value {value!r}, not a list (to fix this, put it in brackets: "
            f"`{name}: {annotation} = [{value!r}]`)."
        )
    return (
        f"{head} {_describe(value)}, which is not {annotation} (to fix this, give a default "
        f"of type {annotation}, or declare the type of the default)."
    )


def _as_number(text: str) -> int | float | str:
    """``"2023"`` as 2023, ``"0.5"`` as 0.5; other text as it is."""
    try:
        return int(text.strip())
    except ValueError:
        try:
            return float(text.strip())
        except ValueError:
            return text


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def years_text(years: Iterable[int]) -> str:
    return ", ".join(str(y) for y in years)


def check_scheme(scheme: Any) -> str:
    known = available_schemes()
    if not isinstance(scheme, str) or scheme not in known:
        raise ParameterError(
            f"Unknown scheme {scheme!r}.{_suggest(str(scheme), known)} (to fix this, choose one "
            f"of: {', '.join(known)})."
        )
    return scheme


def missing_export(scheme: str, year: int, data_dir: Path, root: Path, *, compared: bool) -> str:
    years = paths.available_years(data_dir, scheme)
    where = data_dir.absolute()
    default_dirs = {
        (root / paths.DEFAULT_RAW_DIR).absolute(),
        (root / paths.DEFAULT_DEMO_DIR).absolute(),
    }
    put = (paths.DEFAULT_RAW_DIR if where in default_dirs else data_dir) / scheme / f"{year}.xlsx"
    others = [y for y in years if y != year]
    if compared:
        head = f"Cannot compare with {year}: no export for {scheme} {year} in {show_path(data_dir / scheme)}/."
        tail = f"compare with one of {years_text(others)}" if others else "leave out compare_with"
    else:
        head = f"No export for {scheme} {year} in {show_path(data_dir / scheme)}/."
        tail = (
            f"choose one of {years_text(others)}"
            if others
            else "point data_dir at the folder that holds the exports"
        )
    return f"{head} Put the file at {show_path(put)}, or {tail}."


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
        scheme's first year, a year or compared year without an export in ``data_dir``, a
        ``lang`` other than nb, nn and en). A
        default in the cell that does not fit its own type (``year: int = "2023"``: what
        JupyterLab would run) is one too, and a parameter the runner passes that the cell
        declares with another type (:data:`DECLARATIONS`) is named with the declaration to
        write.
    """
    path = Path(notebook)
    declared = notebook_parameters(path)
    where = show_path(path)
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
        wrong_default = _default_error(where, p)
        if wrong_default:
            problems.append(wrong_default)
        if p.name in params:
            try:
                values[p.name] = _convert(params[p.name], p.annotation_node(), coerce=True)
            except _Mismatch:
                problems.append(_type_error(where, p, params[p.name]))
        elif p.has_default and p.literal:
            values[p.name] = copy.deepcopy(p.default)
    if "lang" in values and values["lang"] not in paths.LANGUAGES:
        problems.append(
            f"{_at(where, declared['lang'])}: lang is {values['lang']!r}, which is not a language "
            "evalkit writes documents in (to fix this, pass nb for bokmål, nn for nynorsk or en "
            'for English, and keep `lang: str = "nb"` in the parameters cell).'
        )
    if problems:
        raise ParameterError("\n".join(problems))

    # Range: the scheme, its first year, and data for the year and every compared year.
    scheme = values.get("scheme")
    if scheme is None:
        return values
    check_scheme(scheme)
    first_year = summarize(scheme).first_year
    root = notebook_root(path)
    data_dir = values.get("data_dir") or ""
    data_path = (
        resolve_path(data_dir, root) if data_dir else paths.default_data_dir(scheme, root=root)
    )
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
                + (f": one of {years_text(later)})." if later else ").")
            )
        elif compared and y == year:
            others = [a for a in available if a != year]
            problems.append(
                f"compare_with holds {y}, the year of the document itself (to fix this, compare "
                + (f"with one of {years_text(others)})." if others else "with nothing).")
            )
        elif y not in available:
            problems.append(missing_export(scheme, y, data_path, root, compared=compared))
    if problems:
        raise ParameterError("\n".join(problems))
    return values
