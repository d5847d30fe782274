"""The message catalogs' upkeep: which keys the code uses, what each catalog lacks.

``python -m evalkit.catalogs update`` (``make catalogs``) extracts the keys the code passes to
:func:`evalkit.i18n.t` and :func:`~evalkit.i18n.tn` (Babel's extraction) from ``evalkit/`` and
``notebooks/``, adds the missing ones to every catalog (the ``nn``/``en`` entries with the
bokmål as the extracted comment) and lists the keys no code uses; :func:`check_catalogs` is
what ``tests/test_catalogs.py`` asserts. A tool for translators and developers, above the
layers whose keys it counts (:mod:`evalkit.flags`' codes), so that :mod:`evalkit.i18n`, which
every layer reads, imports none of them.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path
from typing import Any

from evalkit.i18n import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    catalog,
    catalog_path,
    placeholders,
    reload_catalogs,
)

#: The folders whose Python files are searched for keys (relative to the project).
SOURCE_DIRS = ("evalkit", "notebooks")
#: The shape of a key: dotted lower-case names (``year.heading.summary``).
KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")
#: The functions whose first argument is a key: :func:`t`, and the documents' headings
#: (``doc.heading("year.heading.summary")``); :func:`tn` takes a plural key.
SINGULAR_KEYWORDS = ("t", "heading")
PLURAL_KEYWORDS = ("tn",)


def used_keys(root: Path | None = None) -> dict[str, tuple[bool, list[str]]]:
    """Every key the code passes to ``t``/``tn`` (or ``heading``) as a literal, in the Python
    files and the Jinja templates (Babel's extraction): key -> (plural, ["path:line", …])."""
    from babel.messages.extract import extract_from_dir

    root = root or Path(__file__).resolve().parent.parent
    found: dict[str, tuple[bool, list[str]]] = {}
    for keywords, plural in ((SINGULAR_KEYWORDS, False), (PLURAL_KEYWORDS, True)):
        for folder in SOURCE_DIRS:
            if not (root / folder).is_dir():
                continue
            extracted = extract_from_dir(
                root / folder,
                method_map=[("**.py", "python"), ("**.j2", "jinja2.ext:babel_extract")],
                keywords=dict.fromkeys(keywords, (1,)),
                comment_tags=(),
            )
            with contextlib.redirect_stderr(io.StringIO()):  # Babel's notes on f-strings
                extracted = list(extracted)
            for filename, lineno, key, _comments, _context in extracted:
                if not isinstance(key, str) or not KEY.fullmatch(key):
                    continue  # another function named t, or not a key
                was_plural, where = found.get(key, (False, []))
                found[key] = (was_plural or plural, [*where, f"{folder}/{filename}:{lineno}"])
    return found


#: Keys used by a computed name, not a literal: the codes of flags, units, languages …
def dynamic_keys() -> set[str]:
    """The keys the code builds from codes (``flags.problem.{code}``), which extraction cannot
    see; they count as used."""
    from evalkit import flags

    keys = {f"flags.problem.{c}" for c in flags.PROBLEM_CODES}
    keys |= {f"flags.action.{c}" for c in flags.ACTIONS}
    keys |= set(flags.DETAIL_KEYS)
    for unit in ("project", "application"):
        keys |= {f"unit.{unit}.{w}" for w in ("one", "many", "the", "each", "the_one",
                                               "the_n", "answered", "count")}  # fmt: skip
    keys |= {f"language.{lang}" for lang in LANGUAGES}
    return keys


def update_catalogs(locale_dir: Path | None = None, root: Path | None = None) -> dict[str, Any]:
    """Add every used key missing from a catalog (empty translation; in ``nn``/``en`` with the
    bokmål as the extracted comment ``nb: …``) and return what was added and which keys of the
    catalogs no code uses."""
    from babel.messages.pofile import read_po, write_po

    used = used_keys(root)
    plural_of = {k: p for k, (p, _w) in used.items()}
    report: dict[str, Any] = {"added": {}, "unused": []}
    nb = catalog(SOURCE_LANGUAGE, locale_dir)
    for lang in LANGUAGES:
        path = catalog_path(lang, locale_dir)
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        added = []
        for key in sorted(set(used) | dynamic_keys()):
            source = nb.get(key)
            message = cat.get(key)
            if lang != SOURCE_LANGUAGE and source is not None:
                shown = (
                    source.string if isinstance(source.string, str) else " | ".join(source.string)
                )
                comment = [f"nb: {shown}"]
                if message is not None:
                    message.auto_comments = comment
                    continue
            else:
                comment = []
                if message is not None:
                    continue
            plural = plural_of.get(key, isinstance(source.id, tuple) if source else False)
            msgid = (key, key) if plural else key
            cat.add(msgid, ("", "") if plural else "", auto_comments=comment)
            added.append(key)
        with path.open("wb") as fh:
            write_po(fh, cat, width=100, omit_header=False, sort_output=True)
        report["added"][lang] = added
    all_keys = {m.id[0] if isinstance(m.id, tuple) else m.id for m in nb if m.id}
    report["unused"] = sorted(all_keys - set(used) - dynamic_keys())
    reload_catalogs()
    return report


def _forms(message: Any) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def check_catalogs(locale_dir: Path | None = None, root: Path | None = None) -> list[str]:
    """Every problem of the catalogs, one line each naming the key and the language: a key the
    code uses missing (or untranslated) in a language, a plural message without all its
    forms, placeholders that differ from the bokmål ones, a key no code uses. [] when none."""
    used = used_keys(root)
    wanted = set(used) | dynamic_keys()
    cats = {lang: catalog(lang, locale_dir) for lang in LANGUAGES}
    nb = cats[SOURCE_LANGUAGE]
    problems = []
    for key in sorted(wanted):
        for lang, cat in cats.items():
            message = cat.get(key)
            where = catalog_path(lang, locale_dir)
            if message is None:
                problems.append(f"{key}: missing in {lang} ({where})")
                continue
            forms = _forms(message)
            plural = used.get(key, (isinstance(message.id, tuple), []))[0]
            if plural and not isinstance(message.id, tuple | list):
                problems.append(f"{key}: is used with tn() but is not a plural message in {lang}")
            if plural and len(forms) != cat.num_plurals:
                problems.append(f"{key}: has {len(forms)} plural form(s) in {lang}, "
                                f"Plural-Forms says {cat.num_plurals}")  # fmt: skip
            if not all(forms):
                problems.append(f"{key}: has no translation in {lang} ({where})")
                continue
            source = nb.get(key)
            if source is None or lang == SOURCE_LANGUAGE:
                continue
            want = placeholders(_forms(source)[-1])
            for form in forms:
                if placeholders(form) != want:
                    problems.append(
                        f"{key}: placeholders {sorted(placeholders(form))} in {lang} differ from "
                        f"the bokmål {sorted(want)}"
                    )
    names = {m.id[0] if isinstance(m.id, tuple) else m.id for m in nb if m.id}
    problems += [f"{key}: in the catalogs but no code uses it" for key in sorted(names - wanted)]
    return problems


def main(argv: list[str] | None = None) -> int:
    """``python -m evalkit.catalogs update``: see :func:`update_catalogs`."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["update"]:
        print("usage: python -m evalkit.catalogs update", file=sys.stderr)
        return 2
    report = update_catalogs()
    for lang, keys in report["added"].items():
        print(f"{lang}: {len(keys)} key(s) added" + (": " + ", ".join(keys) if keys else ""))
    if report["unused"]:
        print("keys no code uses (remove them, or use them): " + ", ".join(report["unused"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
