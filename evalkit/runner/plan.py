"""Plan one document and check the cache, as DVC and ploomber do it.

:func:`plan` validates the parameters and computes the cache key: the sha256 of the notebook
bytes, the validated parameters (the document's language ``lang`` among them), every export the
document reads (its own year's and every compared year's), the scheme YAML, the evalkit version
and evalkit's own code. It writes nothing. :func:`check_cache` serves the existing output only
when the key matches.

A document is one scheme, one year (or ``trends``) and one language: bokmål in
``<out>/<scheme>/<year>/``, nynorsk and English in ``<out>/<scheme>/<lang>/<year>/``
(:func:`evalkit.paths.language_output_dir`). :func:`scheme_languages` and
:func:`fallback_keys` are where the runner asks a scheme which languages it lists and which of
its texts have none in a language.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evalkit import __version__, paths
from evalkit.errors import EvalkitError, OutputWriteError, ParameterError
from evalkit.paths import (
    DEFAULT_LANGUAGE,
    check_language,
    relative_path,
    resolve_path,
    sha256_file,
    show_path,
)
from evalkit.runner.params import (
    RUNNER_PARAMETERS,
    check_scheme,
    missing_export,
    notebook_parameters,
    notebook_root,
    validate_parameters,
)
from evalkit.scheme_files import is_bundled, replaces_bundled, scheme_path
from evalkit.scheme_summary import summarize

log = logging.getLogger(__name__)

MANIFEST_SCHEMA_VERSION = 1
#: Files the runner writes into every year's folder (the notebook writes the others).
RUNNER_FILES = ("report.ipynb", "report.html", "manifest.json")
#: The print and archive copy of ``report.html``, made unless ``--no-pdf``.
PDF_FILE = "report.pdf"
#: Why a cached output is not served when ``report.pdf`` is asked for and was not made.
PDF_NOT_MADE = f"{PDF_FILE} was not made last time"
FAILED_DIR = "_failed"
#: The cleaned years kept for every document of the outputs folder (:mod:`evalkit.cleaned_cache`),
#: under it; passed to a notebook that declares ``cache_dir``.
CLEANED_CACHE_DIR = "_cache/cleaned"
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

#: The role, in a manifest's ``inputs``, of an export the document read that its plan did not
#: name (a notebook reading another year): not in the cache key, checked by its sha256.
READ_ROLE = "read"

TRENDS_NOTEBOOK = "trends.py"
TRENDS_FOLDER = "trends"

Status = Literal["built", "cached", "failed", "interrupted"]


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
    status : {"built", "cached", "failed", "interrupted"}
        ``cached`` means nothing changed since the existing output was built; ``interrupted``
        that the build was stopped (Ctrl-C) before the document was finished.
    out_path : Path or None
        The year's output folder; for a failed run the folder holding the partial notebook
        (None when nothing was run).
    message : str
        One or a few plain sentences for the user.
    seconds : float
        Wall time spent on the year.
    lang : {"nb", "nn", "en"}
        The document's language.
    """

    scheme: str
    year: int
    status: Status
    out_path: Path | None
    message: str = ""
    seconds: float = 0.0
    lang: str = DEFAULT_LANGUAGE

    @property
    def name(self) -> str:
        """«frisklivs_lms 2023» for bokmål, «frisklivs_lms 2023 nn» for another language."""
        return document_name(self.scheme, self.year, self.lang)


def document_name(scheme: str, label: Any, lang: str) -> str:
    """How a document is named on the terminal: «SCHEME YEAR», with the language after it when
    it is not bokmål («frisklivs_lms trends en»)."""
    return f"{scheme} {label}" + ("" if lang == DEFAULT_LANGUAGE else f" {lang}")


def file_record(path: Path, root: Path) -> dict[str, Any]:
    return {
        "path": relative_path(path, root),
        "sha256": sha256_file(path),
        "size": path.stat().st_size,
    }


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@functools.cache  # every document of a build asks for evalkit's
def package_version(name: str) -> str | None:
    """The installed version of ``name`` (recorded in a built document's manifest); None when
    it is not installed. ``importlib.metadata`` is imported here: a cached answer needs none."""
    from importlib import metadata

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
    #: Why the existing output is not served (empty for a first build).
    reason: str = ""
    #: Make ``report.pdf`` beside ``report.html`` (``--no-pdf`` turns it off).
    pdf: bool = False
    #: The folder of cleaned years passed as ``cache_dir`` (None: the notebook declares none).
    cache_dir: Path | None = None
    #: The document's language (``nb``, ``nn`` or ``en``).
    lang: str = DEFAULT_LANGUAGE

    @property
    def failed_dir(self) -> Path:
        """``_failed/<year>/`` in the language's folder (:func:`paths.language_output_dir`)."""
        return self.target.parent / FAILED_DIR / self.target.name


def write_error(err: OSError, folder: Path) -> OutputWriteError:
    """One sentence naming the output folder and the cause (``os.strerror``)."""
    folder = Path(folder)
    for above in (folder, *folder.parents):
        if above.is_dir():
            break
        if above.exists() or above.is_symlink():
            return OutputWriteError(
                f"Cannot write to the output folder {show_path(folder)}: {show_path(above)} is "
                f"a file, not a folder ({os.strerror(errno.ENOTDIR)})."
            )
    cause = os.strerror(err.errno) if err.errno else str(err)
    return OutputWriteError(f"Cannot write to the output folder {show_path(folder)}: {cause}.")


def output_root(out_dir: Path | str | None) -> Path:
    """The outputs folder: ``out_dir`` when given (relative to the working folder), else
    ``outputs/`` under the project root, whatever the working folder."""
    if out_dir is None or str(out_dir) == "":
        return (paths.project_root() / paths.DEFAULT_OUT_DIR).absolute()
    return Path(out_dir).absolute()


#: The generic per-year notebook: builds any scheme from its YAML.
YEAR_NOTEBOOK = "year.py"


def _default_notebook(scheme: str) -> Path:
    """The notebook of a year of ``scheme``: the one its YAML names (``notebook:``, a file in
    ``notebooks/``: one that resolves outside it, through a link, is refused), else
    ``notebooks/<scheme>.py`` when the project has one, else the generic ``notebooks/year.py``."""
    folder = paths.project_root() / "notebooks"
    config = summarize(scheme)
    named = config.notebook
    if named:
        path = folder / named
        # the YAML names a file, never a path (checked on load); nor may a link lead out
        if not path.resolve().is_relative_to(folder.resolve()):
            raise EvalkitError(
                f"{show_path(config.path)}: `notebook: {named}` leads out of "
                f"{show_path(folder)} (to {show_path(path.resolve())}), so it is not run. Put "
                "the notebook itself in notebooks/ and give its name."
            )
    elif (folder / f"{scheme}.py").is_file():
        path = folder / f"{scheme}.py"
    else:
        path = folder / YEAR_NOTEBOOK
    if not path.is_file():
        raise EvalkitError(
            f"The notebook of {scheme}, {show_path(path)}, does not exist. Run evalkit from the "
            "project folder (the one holding notebooks/), or pass the notebook to use."
        )
    return path


def plan(
    scheme: str,
    year: Any,
    *,
    compare_with: Iterable[int] | None,
    data_dir: Path | str | None,
    out_dir: Path | str | None,
    strict: bool,
    notebook: Path | str | None,
    kernel_name: str,
    parameters: Mapping[str, Any] | None,
    title: str | None,
    folder: str | None = None,
    lang: str | None = None,
) -> Job:
    """Validate everything and compute the cache key; writes nothing.

    ``lang`` is the document's language (default: the first the scheme lists), passed to a
    notebook that declares ``lang``; one that does not can build only bokmål."""
    scheme = check_scheme(scheme)
    lang = check_language(lang) if lang is not None else scheme_languages(summarize(scheme))[0]
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
            + " as arguments of their own; output_dir and cache_dir are set by the runner)."
        )
    params: dict[str, Any] = {"scheme": scheme, "year": year}
    if "lang" in declared:
        params["lang"] = lang
    elif lang != DEFAULT_LANGUAGE:
        raise ParameterError(
            f"{show_path(nb_path)} declares no lang parameter, so it cannot write the {lang} "
            f'document (to fix this, add `lang: str = "nb"  # nb, nn or en: the document\'s '
            "language` to its parameters cell and pass it to evaluate(), or build bokmål only "
            "with --lang nb)."
        )
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
    yaml_path = scheme_path(scheme)  # the project's copy of a bundled scheme, if it has one
    if "scheme_file" in declared and (
        not is_bundled(scheme) or replaces_bundled(scheme, yaml_path)
    ):
        # a scheme of the user's own, or a copy of a bundled one: the kernel runs in the
        # notebook's folder, which may not be the one whose schemes/ holds it
        params["scheme_file"] = str(yaml_path)
    params.update(extra)
    params = validate_parameters(nb_path, params)
    params.pop("output_dir", None)  # set by the runner when it runs, as is cache_dir:
    params.pop("cache_dir", None)  # where the outputs go is not part of the cache key
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

    evalkit_version = __version__
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
        "evalkit_code_sha256": paths.code_digest(),
        "title": title,
        "lang": lang,
    }
    key = hashlib.sha256(canonical_json(key_material).encode("utf-8")).hexdigest()
    out_path = output_root(out_dir)
    return Job(
        scheme=scheme,
        year=year,
        notebook=nb_path,
        root=root,
        params=params,
        inputs=inputs,
        data_dir=data_path,
        out_dir=out_path,
        target=(paths.language_output_dir(out_path, scheme, lang) / folder)
        if folder
        else paths.year_output_dir(out_path, scheme, year, lang),
        key=key,
        title=title,
        kernel_name=kernel_name,
        records=records,
        cache_dir=out_path / CLEANED_CACHE_DIR if "cache_dir" in declared else None,
        lang=lang,
    )


# --------------------------------------------------------------------------------------------
# Languages: what the runner asks a scheme
# --------------------------------------------------------------------------------------------
def scheme_languages(config: Any) -> list[str]:
    """The languages a loaded scheme lists (``languages:`` in its YAML), bokmål when none.

    The one place the runner reads them."""
    return list(config.languages or [DEFAULT_LANGUAGE])


def fallback_keys(config: Any, lang: str) -> list[str] | None:
    """The keys of the scheme's texts that have no text in ``lang`` and fall back to bokmål
    (empty for bokmål); None while it cannot be known."""
    if lang == DEFAULT_LANGUAGE:
        return []
    return config.text_fallbacks(lang)


def fallback_line(config: Any, lang: str, *, limit: int = 12) -> str:
    """One line naming the scheme texts of ``lang`` that fall back to bokmål (at most
    ``limit`` keys, then how many more); empty when none do or it is not known."""
    keys = fallback_keys(config, lang)
    if not keys:
        return ""
    shown = ", ".join(keys[:limit]) + (
        f" and {len(keys) - limit} more" if len(keys) > limit else ""
    )
    return (
        f"{config.name} {lang}: {len(keys)} scheme text(s) have no {lang} text and fall back to "
        f"bokmål: {shown} (add label_{lang}/title_{lang}/… to {show_path(config.path)})."
    )


def languages_for(scheme: str, lang: str | None = None) -> tuple[list[str], str]:
    """The languages to build of ``scheme``: ``lang`` alone when given, else every one the
    scheme lists; and a note (empty, or one sentence) when ``lang`` is not one it lists.

    A language the scheme does not list is built all the same (the flag asks for it; evalkit's
    own wording exists in every language, and the scheme's texts fall back to bokmål, which the
    build names), with the note saying so.
    """
    config = summarize(check_scheme(scheme))
    listed = scheme_languages(config)
    if lang is None:
        return listed, ""
    lang = check_language(lang)
    note = ""
    if lang not in listed:
        note = (
            f"{scheme} lists the language(s) {', '.join(listed)} (`languages:` in "
            f"{show_path(config.path)}), not {lang}: the {lang} document is built, and the "
            f"scheme's texts without a {lang} text fall back to bokmål. To publish it, add {lang} "
            "to `languages:`."
        )
    return [lang], note


def _describe_change(manifest: dict[str, Any], job: Job) -> str:
    """What differs between the manifest's record and the planned job, in words."""
    changed = []
    if (manifest.get("notebook") or {}).get("sha256") != job.records["notebook"]["sha256"]:
        changed.append("the notebook")
    if manifest.get("parameters") != job.params:
        changed.append("the parameters")
    old_inputs = {
        (i.get("role"), i.get("year"), i.get("sha256"))
        for i in manifest.get("inputs") or []
        if isinstance(i, dict) and i.get("role") != READ_ROLE
    }
    new_inputs = {(i["role"], i["year"], i["sha256"]) for i in job.records["inputs"]}
    if old_inputs != new_inputs:
        changed.append("the exports it reads")
    if (manifest.get("scheme_config") or {}).get("sha256") != job.records["scheme_config"][
        "sha256"
    ]:
        changed.append("the scheme's YAML")
    if not changed:
        changed.append("evalkit's code or version")
    return " and ".join([", ".join(changed[:-1]), changed[-1]] if len(changed) > 1 else changed)


def _output_problem(folder: Path, entry: dict[str, Any]) -> str | None:
    """Why an output no longer matches its manifest entry, or None when it does."""
    name = entry["path"]
    path = folder / name
    try:
        size = path.stat().st_size
        if not path.is_file():
            return f"{name} is not a file"
        if size != entry["size"]:
            return f"{name} has changed since it was built ({size} bytes, the manifest says {entry['size']})"
        if sha256_file(path) != entry["sha256"]:
            return f"{name} has changed since it was built (its sha256 differs from the manifest's)"
    except FileNotFoundError:
        return f"{name} is missing"
    except OSError as err:
        return f"{name} cannot be read ({err.strerror or err})"
    return None


def _outputs_entries(manifest: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The manifest's ``outputs`` when every entry is well formed, else None."""
    outputs = manifest.get("outputs")
    if not isinstance(outputs, list):
        return None
    for entry in outputs:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and entry["path"]
            and not Path(entry["path"]).is_absolute()
            and ".." not in Path(entry["path"]).parts
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
        ):
            return None
    return outputs


def _read_input_problem(manifest: dict[str, Any], root: Path) -> str | None:
    """Why an export the document read beyond its plan (role ``read``) is no longer the one
    it read, or None."""
    for entry in manifest.get("inputs") or []:
        if not isinstance(entry, dict) or entry.get("role") != READ_ROLE:
            continue
        name, digest = entry.get("path"), entry.get("sha256")
        if not isinstance(name, str) or not isinstance(digest, str):
            return "its manifest.json has a broken list of inputs"
        try:
            if sha256_file(resolve_path(name, root)) != digest:
                return f"{name}, which it read, has changed since the last build"
        except FileNotFoundError:
            return f"{name}, which it read, is missing"
        except OSError as err:
            return f"{name}, which it read, cannot be read ({err.strerror or err})"
    return None


def check_cache(job: Job) -> tuple[dict[str, Any] | None, str]:
    """Whether the existing output of ``job`` may be served as it is.

    The output is served only when ``manifest.json`` reads, holds the job's cache key, every
    export the document read beyond its plan is unchanged, and every output it records
    (``report.html``, ``report.ipynb`` and whatever the notebook wrote) is there with the size
    and sha256 the manifest records.

    Returns
    -------
    (dict or None, str)
        The manifest when the output may be served; otherwise None and why it is rebuilt in
        words (empty when nothing was built before).
    """
    folder = job.target
    manifest_path = folder / "manifest.json"
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if folder.is_dir() and any(folder.iterdir()):
            return None, "its manifest.json is missing"
        return None, ""
    except (OSError, UnicodeDecodeError) as err:
        cause = getattr(err, "strerror", None) or str(err)
        return None, f"its manifest.json cannot be read ({cause})"
    try:
        manifest = json.loads(text)
    except ValueError:
        return None, "its manifest.json is not valid JSON"
    if not isinstance(manifest, dict):
        return None, "its manifest.json holds no record"
    if manifest.get("cache_key") != job.key:
        return None, f"{_describe_change(manifest, job)} changed since the last build"
    problem = _read_input_problem(manifest, job.root)
    if problem:
        return None, problem
    outputs = _outputs_entries(manifest)
    if outputs is None:
        return None, "its manifest.json has a broken list of outputs"
    recorded = {entry["path"] for entry in outputs}
    for name in RUNNER_FILES:
        if name != "manifest.json" and name not in recorded:
            return None, f"its manifest.json does not record {name}"
    if job.pdf and PDF_FILE not in recorded:
        return None, PDF_NOT_MADE
    for entry in outputs:
        problem = _output_problem(folder, entry)
        if problem:
            return None, problem
    return manifest, ""
