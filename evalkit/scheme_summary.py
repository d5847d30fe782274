"""What the runner needs to know of a scheme, kept from one run to the next.

The runner plans a document, and decides whether its output is up to date, from a few facts
of the scheme: its name, first year, languages, notebook, short title, and which of its
texts fall back to bokmål in each language. Checking the YAML to learn them
(:func:`evalkit.config.load_scheme`: PyYAML and the pydantic models) costs a fifth of a
second, more than all the rest of a cached answer. So the facts of a checked scheme file are
kept, as JSON, in evalkit's cache folder, under a key made of the file's bytes and evalkit's
code (:func:`evalkit.paths.code_digest`): the same bytes checked by the same code give the same
facts. A changed byte of the YAML, or of evalkit, is another key, and the file is checked
again; a file that fails the check is never kept, so its error is raised on every run.

The cache folder is :mod:`evalkit.kept`'s. Where it cannot be written, the facts are not kept
and every run checks the YAML (as before; nothing else changes). What is kept holds no data of
an export.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit import kept, paths
from evalkit.i18n import LANGUAGES, SOURCE_LANGUAGE
from evalkit.scheme_files import override_line, read_scheme_bytes, replaces_bundled, scheme_path

#: The summaries this process has read, by the name and the file as it was then (a build asks
#: for a scheme's once per document).
_seen: dict[tuple[Any, ...], SchemeSummary] = {}
#: Part of every key: a new shape of the kept facts is a new key.
FORMAT = "evalkit scheme summary 1"


@dataclass(frozen=True)
class SchemeSummary:
    """The facts of one checked scheme file that the runner uses."""

    name: str
    path: Path
    first_year: int
    languages: tuple[str, ...]
    notebook: str | None
    short_title_nb: str
    #: The text keys without a text in each language, whose bokmål is shown instead
    #: (:func:`evalkit.config.text_fallbacks`); none for bokmål.
    fallbacks: dict[str, tuple[str, ...]]

    @property
    def replaces_bundled(self) -> bool:
        """Whether this YAML is read instead of the scheme of the same name bundled with
        evalkit."""
        return replaces_bundled(self.name, self.path)

    def override_line(self, *, nb: bool = False) -> str:
        """:meth:`evalkit.config.Scheme.override_line` of the scheme."""
        return override_line(self.name, self.path, nb=nb) if self.replaces_bundled else ""

    def text_fallbacks(self, lang: str) -> list[str]:
        return list(self.fallbacks.get(lang, ()))


#: The kind of what is kept (a folder of evalkit's cache folder).
KIND = "schemes"


def _of_scheme(scheme: Any) -> SchemeSummary:
    """The summary of a checked :class:`~evalkit.config.Scheme`."""
    from evalkit.config import text_fallbacks

    return SchemeSummary(
        name=scheme.name,
        path=scheme.path,
        first_year=scheme.first_year,
        languages=tuple(scheme.languages),
        notebook=scheme.notebook,
        short_title_nb=scheme.short_title_nb,
        fallbacks={
            lang: tuple(text_fallbacks(scheme, lang))
            for lang in LANGUAGES
            if lang != SOURCE_LANGUAGE
        },
    )


def _facts(summary: SchemeSummary) -> dict[str, Any]:
    """What is kept of a summary (all but the path, which is not part of the key)."""
    return {
        "name": summary.name,
        "first_year": summary.first_year,
        "languages": list(summary.languages),
        "notebook": summary.notebook,
        "short_title_nb": summary.short_title_nb,
        "fallbacks": {lang: list(keys) for lang, keys in summary.fallbacks.items()},
    }


def _summary(facts: Any, path: Path) -> SchemeSummary | None:
    """The summary of kept facts, or None when they are not what :func:`_facts` writes."""
    try:
        name, first_year = facts["name"], facts["first_year"]
        languages, notebook = facts["languages"], facts["notebook"]
        title, fallbacks = facts["short_title_nb"], facts["fallbacks"]
        ok = (
            isinstance(name, str)
            and type(first_year) is int
            and isinstance(languages, list)
            and all(lang in LANGUAGES for lang in languages)
            and (notebook is None or isinstance(notebook, str))
            and isinstance(title, str)
            and isinstance(fallbacks, dict)
            and all(
                lang in LANGUAGES
                and isinstance(keys, list)
                and all(isinstance(k, str) for k in keys)
                for lang, keys in fallbacks.items()
            )
        )
    except (KeyError, TypeError):  # None (nothing kept), or not a mapping of these keys
        return None
    if not ok:
        return None
    return SchemeSummary(
        name=name,
        path=path,
        first_year=first_year,
        languages=tuple(languages),
        notebook=notebook,
        short_title_nb=title,
        fallbacks={lang: tuple(keys) for lang, keys in fallbacks.items()},
    )


def summarize(name: str) -> SchemeSummary:
    """The facts of scheme ``name`` (bundled or the user's own), from the cache folder when its
    YAML was checked before by this code, else checked now (:func:`evalkit.config.load_scheme`,
    whose errors are raised) and kept."""
    path = scheme_path(name).absolute()
    try:
        st = path.stat()
        seen = _seen.get((name, path, st.st_ino, st.st_mtime_ns, st.st_size))
    except OSError:
        seen = None  # read_scheme_bytes says what is wrong
    if seen is not None:
        return seen
    data = read_scheme_bytes(path)
    name_kept = kept.key(FORMAT, paths.code_digest(), data)
    summary = _summary(kept.read(KIND, name_kept), path)
    if summary is not None and summary.name == name:
        _seen[(name, path, st.st_ino, st.st_mtime_ns, st.st_size)] = summary
        return summary
    from evalkit.config import load_scheme

    summary = _of_scheme(load_scheme(name))
    if read_scheme_bytes(path) == data:  # what was checked is what the key was made of
        kept.keep(KIND, name_kept, _facts(summary))
    return summary
