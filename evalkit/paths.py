"""Where the data and the outputs live: ``data/raw/<scheme>/<year>.<ext>`` and
``outputs/<scheme>/<year>/`` (bokmål) or ``outputs/<scheme>/<lang>/<year>/`` (nynorsk, English)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from evalkit.errors import EvalkitError, ParameterError

log = logging.getLogger(__name__)

#: File endings read, in the order preferred when a year has more than one file.
EXPORT_SUFFIXES = (".xlsx", ".csv", ".parquet", ".ods", ".xls")
#: A data folder holding this file is synthetic demo data; every output says so.
SYNTHETIC_MARKER = "SYNTHETIC.txt"
DEFAULT_RAW_DIR = Path("data/raw")
DEFAULT_DEMO_DIR = Path("data/demo")
DEFAULT_OUT_DIR = Path("outputs")
#: The languages a document is written in: bokmål, nynorsk and English (issue 20).
LANGUAGES = ("nb", "nn", "en")
#: The language whose documents sit in ``outputs/<scheme>/`` itself (the contract's layout);
#: the others have a folder of their own there, ``outputs/<scheme>/<lang>/``.
DEFAULT_LANGUAGE = "nb"

_YEAR_FILE = re.compile(r"^([0-9]{4})$")
#: A year somewhere in a file name (``2023 (1).xlsx``, ``rapport_2023.csv``).
_YEAR_IN_NAME = re.compile(r"(?<![0-9])(?:19|20)[0-9][0-9](?![0-9])")
#: Spreadsheets and text tables evalkit does not read, and how to make them readable.
_OTHER_TABLES = {
    ".xlsm": "open it in Excel and save it as «Excel-arbeidsbok (.xlsx)»",
    ".xlsb": "open it in Excel and save it as «Excel-arbeidsbok (.xlsx)»",
    ".numbers": "export it from Numbers as .xlsx",
    ".txt": "rename it to {year}.csv if it is a table saved as text (tab-separated is read)",
    ".tsv": "rename it to {year}.csv (tab-separated is read)",
}
_OTHER_SPREADSHEETS = (".xlsm", ".xlsb", ".numbers")
#: Warnings already given in this process (year_files runs often on the same folder).
_warned: set[str] = set()


def year_of_name(name: str) -> int | None:
    """The year a file stem or folder name is: four digits 0-9 (``2023``), else None.

    Other digits are no year: ``２０２３`` (fullwidth) or ``٢٠٢٣`` (Arabic-Indic) would be read
    as 2023 by ``int``, and a folder of that name would pass for that year's.
    """
    m = _YEAR_FILE.match(name)
    return int(m.group(1)) if m else None


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


def _export_name(name: str) -> tuple[str, str]:
    """A file name as (stem, suffix), spaces around both trimmed, the suffix in lower case:
    ``"2023 .XLSX"`` -> ``("2023", ".xlsx")``."""
    stem, dot, suffix = name.strip().rpartition(".")
    if not dot:
        return name.strip(), ""
    return stem.strip(), "." + suffix.strip().lower()


def year_files(data_dir: Path | str, scheme: str) -> dict[int, Path]:
    """Map each year with an export in ``data_dir/<scheme>/`` to its file.

    A year's export is named by the year alone (``2022.xlsx``, ``2022.csv``,
    ``2022.parquet``, ``2022.ods`` or ``2022.xls``); spaces around the year or the ending and
    an ending in capitals (``2022 .xlsx``, ``2022.XLSX``) are allowed. Two files for one year is an error, since it
    is not clear which to use. A file that looks like an export but is not read (``2022.xlsb``,
    ``2022 (1).xlsx``) is named in a warning with the fix. Excel's lock files (``~$…``) and
    hidden files are passed over.
    """
    folder = Path(data_dir) / scheme
    found: dict[int, Path] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("~$", ".")) or not path.is_file():
            continue
        stem, suffix = _export_name(path.name)
        m = _YEAR_FILE.match(stem)
        if not m and suffix in EXPORT_SUFFIXES + _OTHER_SPREADSHEETS:
            if (plain := year_of_name(unicodedata.normalize("NFKC", stem))) is not None:
                _warn_once(
                    f"{path} is not read: its name is written with other digits than 0-9. To "
                    f"fix: if it is the export of {plain}, rename it to {plain}{suffix}."
                )
                continue
        if m and suffix in EXPORT_SUFFIXES:
            year = int(m.group(1))
            if year in found:
                raise EvalkitError(
                    f"Folder {folder} has two exports for {year}: {found[year].name!r} and "
                    f"{path.name!r}. Keep one of them (move the other out of the folder)."
                )
            found[year] = path
        elif m and suffix in _OTHER_TABLES:
            fix = _OTHER_TABLES[suffix].format(year=m.group(1))
            _warn_once(f"{path} is not read: files of type {suffix} cannot be read. To fix: {fix}.")
        elif (suffix in EXPORT_SUFFIXES or suffix in _OTHER_SPREADSHEETS) and (
            year := _YEAR_IN_NAME.search(stem)
        ):
            fix = (
                f"rename it to {year.group()}{suffix}"
                if suffix in EXPORT_SUFFIXES
                else f"save it as {year.group()}.xlsx"
            )
            _warn_once(
                f"{path} is not read: an export must be named by its year alone. To fix: if it "
                f"is the export of {year.group()}, {fix}."
            )
    return dict(sorted(found.items()))


def available_years(data_dir: Path | str, scheme: str) -> list[int]:
    """Years with an export for ``scheme`` in ``data_dir`` (see :func:`year_files`)."""
    return list(year_files(data_dir, scheme))


def find_export(data_dir: Path | str, scheme: str, year: int) -> Path | None:
    """The export of ``scheme`` for ``year`` in ``data_dir`` (see :func:`year_files`), or
    None."""
    return year_files(data_dir, scheme).get(int(year))


def is_synthetic(data_dir: Path | str) -> bool:
    """True when ``data_dir`` is marked as synthetic demo data."""
    return (Path(data_dir) / SYNTHETIC_MARKER).exists()


def project_root() -> Path:
    """The project folder (the one holding ``notebooks/``): the working folder or the nearest
    folder above it (JupyterLab runs a notebook's kernel in ``notebooks/``), else the source
    checkout evalkit was installed from, else the working folder."""
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / "notebooks").is_dir() and (folder / "data").is_dir():
            return folder
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "notebooks").is_dir():
        return checkout
    return cwd


def default_data_dir(scheme: str, root: Path | str | None = None) -> Path:
    """``data/raw`` when it holds files of ``scheme``, else the bundled ``data/demo``
    (both under the project folder)."""
    root = Path(root) if root is not None else project_root()
    raw = root / DEFAULT_RAW_DIR
    if year_files(raw, scheme):
        return raw
    return root / DEFAULT_DEMO_DIR


def check_language(lang: object) -> str:
    """``lang`` when it is one of :data:`LANGUAGES`, else a :class:`ParameterError` naming
    them."""
    if lang not in LANGUAGES:
        raise ParameterError(
            f"{lang!r} is not a language evalkit writes documents in; choose nb (bokmål), "
            "nn (nynorsk) or en (English)."
        )
    return str(lang)


def language_output_dir(out_dir: Path | str, scheme: str, lang: str = DEFAULT_LANGUAGE) -> Path:
    """The folder holding the documents of ``scheme`` in ``lang``: ``out_dir/<scheme>/`` for
    bokmål, ``out_dir/<scheme>/<lang>/`` for nynorsk and English. Its year folders (four
    digits), ``trends/`` and ``_failed/`` are laid out alike in each; a language's folder is
    never taken for a year (:func:`year_of_name`), and a document swapped into one language's
    folder touches no other."""
    folder = Path(out_dir) / scheme
    return folder if check_language(lang) == DEFAULT_LANGUAGE else folder / lang


def year_output_dir(
    out_dir: Path | str, scheme: str, year: int, lang: str = DEFAULT_LANGUAGE
) -> Path:
    """``out_dir/<scheme>/<year>/`` (bokmål) or ``out_dir/<scheme>/<lang>/<year>/``."""
    return language_output_dir(out_dir, scheme, lang) / str(int(year))


def show_path(path: Path | str) -> str:
    """A path as the user knows it: relative to the working folder when inside it."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def relative_path(path: Path | str, root: Path | str) -> str:
    """``path`` relative to ``root`` (posix) when inside it, else absolute."""
    path = Path(path).absolute()
    try:
        return path.relative_to(Path(root).absolute()).as_posix()
    except ValueError:
        return str(path)


def resolve_path(path: Path | str, root: Path | str) -> Path:
    """``path`` as it is when absolute, else under ``root``."""
    path = Path(path)
    return path if path.is_absolute() else Path(root) / path


#: What of evalkit's package makes a document: code, schemes, templates, reference tables and
#: the message catalogs (a changed translation is a changed document).
CODE_SUFFIXES = frozenset({".py", ".yaml", ".j2", ".csv", ".po"})


def code_files() -> list[Path]:
    """evalkit's own files that :func:`code_digest` covers (:data:`CODE_SUFFIXES`), sorted."""
    package = Path(__file__).resolve().parent
    return [
        path
        for path in sorted(package.rglob("*"))
        if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts
    ]


@functools.cache
def code_digest() -> str:
    """sha256 over evalkit's own source, configuration, templates and catalogs: part of every
    cache key, since an editable install keeps its version number while its code changes."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in code_files():
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def sha256_file(path: Path | str) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomic(path: Path | str, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, as it is: no newline translation) to ``path`` atomically.

    The bytes go to a hidden temporary file in the same folder, which is then renamed over
    ``path``: a reader sees the old file or the new one, never half a file. The file is made
    readable by everyone (``0o644``), as outputs are for readers. On any error the temporary
    file is removed and the error (an :class:`OSError` such as ``ENOSPC``) is raised.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
