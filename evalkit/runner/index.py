"""``outputs/index.html``: every scheme and year found, its status and headline figures, and a
link to each language's document (bokmål in ``<scheme>/<year>/``, nynorsk and English in
``<scheme>/<lang>/<year>/``)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from evalkit import __version__, paths
from evalkit.errors import EvalkitError
from evalkit.formats import unit_form
from evalkit.i18n import current_language, language, t
from evalkit.paths import DEFAULT_LANGUAGE, LANGUAGES, show_path, write_atomic, year_of_name
from evalkit.runner.plan import FAILED_DIR, FAILURE_FILE, TRENDS_FOLDER
from evalkit.scheme_files import available_schemes, clip_text, scheme_path
from evalkit.scheme_summary import summarize

log = logging.getLogger(__name__)


def _status_text(status: str) -> str:
    """A document's status in words (the catalog's ``index.status.<status>``): ``ok``,
    ``stale`` (the last run failed, the version before is shown), ``failed``, ``incomplete``
    (no manifest.json)."""
    return {
        "ok": t("index.status.ok"),
        "stale": t("index.status.stale"),
        "failed": t("index.status.failed"),
        "incomplete": t("index.status.incomplete"),
    }[status]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _number(value: Any, kind: str) -> str:
    from evalkit.formats import fmt_int, fmt_nok

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–" if value is None else str(value)
    return fmt_nok(value) if kind == "nok" else fmt_int(value)


def _when(created: Any) -> str:
    try:
        when = datetime.fromisoformat(str(created)).astimezone()
    except ValueError:
        return str(created or "")
    return when.strftime("%d.%m.%Y %H:%M")


def _language_name(lang: str) -> str:
    """A language's name on ``index.html`` in that language («bokmål», «nynorsk», «English»):
    the catalog's ``language.<lang>`` of the language itself."""
    with language(lang):
        return t(f"language.{lang}")


#: The order in which a row takes the status of its languages' documents: the worst first.
_STATUS_RANK = ("failed", "stale", "incomplete", "ok")


def _language_dirs(scheme_dir: Path) -> list[tuple[str, Path]]:
    """Each language found in ``scheme_dir``, bokmål (the folder itself) first, with its
    folder (:func:`evalkit.paths.language_output_dir`)."""
    found = [(DEFAULT_LANGUAGE, scheme_dir)]
    found += [
        (lang, scheme_dir / lang)
        for lang in LANGUAGES
        if lang != DEFAULT_LANGUAGE and (scheme_dir / lang).is_dir()
    ]
    return found


def _href(path: Path, out: Path) -> str:
    return quote(path.relative_to(out).as_posix())


def _document(folder: Path, failed: Path, lang: str, out: Path) -> dict[str, Any]:
    """One document (a year or the trends, in one language): its status, links and record."""
    manifest = _read_json(folder / "manifest.json")
    failure = _read_json(failed / FAILURE_FILE) if failed.is_dir() else None
    if failed.is_dir() and failure is None:
        failure = {"message": t("index.failed_without_record")}
    if manifest and failure:
        status = "stale"
    elif manifest:
        status = "ok"
    elif failure:
        status = "failed"
    else:
        status = "incomplete"

    def link(name: str, where: Path = folder) -> str | None:
        return _href(where / name, out) if (where / name).is_file() else None

    return {
        "lang": lang,
        "language": _language_name(lang),
        "status": status,
        "manifest": manifest,
        "metrics": _read_json(folder / "metrics.json") or {},
        "failure": (failure or {}).get("message", ""),
        "html_href": link("report.html"),
        "pdf_href": link("report.pdf"),
        "ipynb_href": link("report.ipynb"),
        "failed_href": link("report.ipynb", failed),
    }


def _index_rows(scheme_dir: Path) -> list[dict[str, Any]]:
    """One row per year found in any language's folder of ``scheme_dir`` (or its
    ``_failed/``), with a document per language that has the year."""
    out = scheme_dir.parent
    languages = _language_dirs(scheme_dir)
    years: set[int] = set()
    for _, lang_dir in languages:
        failed_root = lang_dir / FAILED_DIR
        folders = [d for d in lang_dir.iterdir() if d.is_dir()]
        if failed_root.is_dir():
            folders += [d for d in failed_root.iterdir() if d.is_dir()]
        years |= {y for d in folders if (y := year_of_name(d.name)) is not None}
    rows = []
    for year in sorted(years):
        documents = [
            _document(lang_dir / str(year), lang_dir / FAILED_DIR / str(year), lang, out)
            for lang, lang_dir in languages
            if (lang_dir / str(year)).is_dir() or (lang_dir / FAILED_DIR / str(year)).is_dir()
        ]
        # the figures are the same in every language: those of the first document built
        shown = next((d for d in documents if d["manifest"]), documents[0])
        manifest, metrics = shown["manifest"], shown["metrics"]
        status = min((d["status"] for d in documents), key=_STATUS_RANK.index)
        if len({d["status"] for d in documents}) == 1:
            status_text = _status_text(status)
        else:
            status_text = "; ".join(
                t(
                    "index.status.of_language",
                    language=d["language"],
                    status=_status_text(d["status"]),
                )
                for d in documents
            )
        if "n_projects" in metrics:
            count, unit = metrics["n_projects"], unit_form("project", "many")
        elif "n_applications" in metrics:
            count, unit = metrics["n_applications"], unit_form("application", "many")
        else:
            count, unit = None, ""
        amount = metrics.get("grant_total_nok", metrics.get("granted_total_nok"))
        synthetic = metrics.get("synthetic", (manifest or {}).get("synthetic"))
        several = len(documents) > 1 or documents[0]["lang"] != DEFAULT_LANGUAGE
        for d in documents:
            if d["failure"] and several:
                d["failure"] = f"{d['language'].capitalize()}: {d['failure']}"
        rows.append(
            {
                "year": year,
                "status": status,
                "status_text": status_text,
                "title": (manifest or {}).get("title") or "",
                "count": _number(count, "int") if count is not None else "–",
                "unit": unit,
                "amount": _number(amount, "nok") if amount is not None else "–",
                "synthetic": {True: t("index.yes"), False: t("index.no")}.get(synthetic, "–")
                if isinstance(synthetic, bool) or synthetic is None
                else str(synthetic),
                "created": _when((manifest or {}).get("created")) if manifest else "",
                # one bokmål document: its title is the link, as before there were languages
                "several": several,
                "documents": documents,
                **{
                    key: documents[0][key]
                    for key in ("html_href", "pdf_href", "ipynb_href", "failure", "failed_href")
                },
            }
        )
    return rows


def _trends_documents(scheme_dir: Path) -> list[dict[str, Any]]:
    """The trends document of each language that has one (``report.html``)."""
    out = scheme_dir.parent
    return [
        _document(lang_dir / TRENDS_FOLDER, lang_dir / FAILED_DIR / TRENDS_FOLDER, lang, out)
        for lang, lang_dir in _language_dirs(scheme_dir)
        if (lang_dir / TRENDS_FOLDER / "report.html").is_file()
    ]


#: At most this many characters of a scheme's load error are shown in ``index.html``.
INDEX_ERROR_CHARS = 300


def scheme_errors() -> dict[str, str]:
    """Every known scheme whose YAML fails to load, with the error in words (bounded: a
    scheme file cannot make it long, whatever it holds)."""
    errors = {}
    for name in available_schemes():
        try:
            summarize(name)
        except EvalkitError as err:
            errors[name] = str(err)
        except Exception as err:  # YAML syntax, a missing key, a wrong type, ...
            try:
                where = show_path(scheme_path(name))
            except EvalkitError:
                where = f"{name}.yaml"
            text = clip_text(str(err).strip() or "no message")
            errors[name] = f"{where}: {type(err).__name__}: {text}"
    return errors


def short_error(name: str, message: str) -> str:
    """A scheme's load error as one short line of ``index.html``: its first line and first
    problem, at most :data:`INDEX_ERROR_CHARS` characters, and where to see the rest."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    more = " … " + t("index.whole_message", command=f"evalkit build --scheme {name}")
    more = more if len(lines) > 2 else ""
    return clip_text(" ".join(lines[:2]), max(80, INDEX_ERROR_CHARS - len(more))) + more


def write_index(out_dir: Path | str) -> Path:
    """Write ``out_dir/index.html``: every scheme and year found, status and headline figures.

    Status comes from each year's ``manifest.json`` and ``_failed/<year>/failure.json``; the
    figures (number of projects or applications, the grant total, whether the data are
    synthetic) from each ``metrics.json``. A year (and the trends) built in more than one
    language links each language's HTML and PDF («bokmål · nynorsk · English»), and its status
    is the worst of theirs, each named when they differ. A scheme whose YAML fails to load is listed with
    the error; one read from the project's copy of a bundled scheme says so in one line. All
    text is HTML-escaped (Jinja2 autoescape).

    An ``index.html`` made from the same inputs (:func:`_inputs_key`: every file under the
    schemes' output folders with its size and time, the schemes' titles and errors, evalkit's
    code) and unchanged since, byte for byte (``_cache/index.json`` records both), is left as it
    is: an unchanged build does not make it again, and its «made» time is when it was made.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    errors = scheme_errors()
    folders = {p.name: p for p in out.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    facts = {name: _scheme_facts(name, errors) for name in sorted(set(folders) | set(errors))}
    key = _inputs_key(out, folders, facts)
    if _unchanged(out, key):
        return out / "index.html"
    from jinja2 import Environment, FileSystemLoader

    schemes = []
    for name, (title, override, error) in facts.items():
        scheme_dir = folders.get(name, out / name)
        rows = _index_rows(scheme_dir) if name in folders else []
        if not rows and error is None:
            continue
        trends = _trends_documents(scheme_dir) if name in folders else []
        trends_nb = trends[0] if trends and trends[0]["lang"] == DEFAULT_LANGUAGE else None
        schemes.append(
            {
                "name": name,
                "title": title,
                "rows": rows,
                "error": short_error(name, error) if error is not None else None,
                "override": override[:1].upper() + override[1:],
                "trends": trends,
                "trends_several": len(trends) > 1 or (bool(trends) and trends_nb is None),
                "trends_href": trends_nb["html_href"] if trends_nb else None,
                "trends_pdf_href": trends_nb["pdf_href"] if trends_nb else None,
            }
        )
    env = Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    text = env.get_template("index.html.j2").render(
        t=t,
        lang=current_language(),
        schemes=schemes,
        created=datetime.now().astimezone().strftime("%d.%m.%Y %H:%M"),
        evalkit_version=__version__,
    )
    path = write_atomic(out / "index.html", text)
    record = {"inputs": key, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    try:
        (out / INDEX_RECORD).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out / INDEX_RECORD, json.dumps(record))
    except OSError:
        pass  # no record: the next build writes the index again
    return path


#: What the last ``index.html`` was made from (:func:`_inputs_key`) and its sha256.
INDEX_RECORD = "_cache/index.json"


def _scheme_facts(name: str, errors: dict[str, str]) -> tuple[str, str, str | None]:
    """A scheme's title and override line on the index (its name and "" when it has none),
    and its load error (None when it loads)."""
    if name in errors:
        return name, "", errors[name]
    try:
        loaded = summarize(name)
    except Exception:  # a folder that is no (longer a) known scheme
        return name, "", None
    # the override line: a project's copy of a bundled scheme
    return clip_text(loaded.short_title_nb, 200), loaded.override_line(nb=True), None


def _inputs_key(out: Path, folders: dict[str, Path], facts: dict[str, Any]) -> str:
    """A key of everything ``index.html`` is made from: each file and folder under the
    schemes' output folders (its path, size and modification time: the manifests, metrics and
    failure records read, the documents linked), the schemes' titles, override lines and
    errors, the language and time zone the dates are written in, and evalkit's code (the
    template and the catalogs among it)."""
    listing: list[Any] = []
    for name in sorted(folders):
        for root, dirs, files in os.walk(folders[name]):
            dirs.sort()
            where = Path(root).relative_to(out).as_posix()
            listing.append([where, sorted(dirs)])
            for file in sorted(files):
                try:
                    st = os.stat(os.path.join(root, file))
                except OSError:
                    continue
                listing.append([f"{where}/{file}", st.st_size, st.st_mtime_ns])
    material = {
        "code": paths.code_digest(),
        "version": __version__,
        "lang": current_language(),
        "tz": [os.environ.get("TZ"), list(time.tzname), time.timezone, time.altzone],
        "schemes": facts,
        "files": listing,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


def _unchanged(out: Path, key: str) -> bool:
    """Whether ``out/index.html`` is the one made from ``key``'s inputs, byte for byte."""
    try:
        record = json.loads((out / INDEX_RECORD).read_bytes())
        page = (out / "index.html").read_bytes()
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("inputs") == key
        and record.get("sha256") == hashlib.sha256(page).hexdigest()
    )
