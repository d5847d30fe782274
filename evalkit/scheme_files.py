"""Where scheme YAML files are, and how their bytes are read: the light half of
:mod:`evalkit.config`, which imports neither pydantic nor PyYAML.

A scheme is bundled with evalkit (``evalkit/schemes/<name>.yaml``) or the user's own
(``schemes/<name>.yaml`` in the working folder or the project, or a file named with
``--scheme-file``); a project's file takes the place of the bundled one of the same name. The
runner finds schemes and reads their bytes here, so that deciding whether a document is up to
date (:mod:`evalkit.scheme_summary`) does not import the models that check a scheme.
"""

from __future__ import annotations

import os
import re
import stat
from importlib import resources
from pathlib import Path
from typing import Any

from evalkit import i18n
from evalkit.errors import EvalkitError

#: The largest scheme file read, in bytes (the bundled ones are under 16 KB): a bigger file
#: is refused before it is read.
MAX_SCHEME_BYTES = 1024 * 1024

#: At most this many characters on one line of an error message about a scheme file.
LINE_CHARS = 300


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def bundled_folder() -> Path:
    return Path(str(resources.files("evalkit") / "schemes"))


def user_folders() -> list[Path]:
    """The folders of the user's own schemes: ``schemes/`` in the working folder or the
    nearest folder above it that has one, and ``schemes/`` in the project folder."""
    from evalkit.paths import project_root

    found: list[Path] = []
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / "schemes").is_dir():
            found.append((folder / "schemes").absolute())
            break
    root = (project_root() / "schemes").absolute()
    if root.is_dir() and root not in found:
        found.append(root)
    return found


#: Scheme files named on the command line (``--scheme-file``), by scheme name.
_NAMED_FILES: dict[str, Path] = {}


def name_file(name: str, path: Path) -> None:
    """Make the YAML at ``path`` known as scheme ``name`` for this process
    (:func:`evalkit.config.use_scheme_file` checks it first)."""
    _NAMED_FILES[name] = path


def _user_files() -> dict[str, Path]:
    out: dict[str, Path] = dict(_NAMED_FILES)
    for folder in user_folders():
        for p in sorted(folder.glob("*.yaml")):
            if _NAME.fullmatch(p.stem):
                out.setdefault(p.stem, p)
    return out


def available_schemes() -> list[str]:
    """Every scheme found: the bundled ones and the user's own (``schemes/*.yaml``)."""
    bundled = {p.stem for p in bundled_folder().glob("*.yaml")}
    return sorted(bundled | set(_user_files()))


def is_bundled(name: str) -> bool:
    return (bundled_folder() / f"{name}.yaml").is_file()


def replaces_bundled(name: str, path: Path | str) -> bool:
    """Whether the YAML at ``path`` of scheme ``name`` is read instead of the one bundled with
    evalkit under that name."""
    bundled = bundled_folder() / f"{name}.yaml"
    return bundled.is_file() and Path(path).resolve() != bundled.resolve()


def override_line(name: str, path: Path | str, *, nb: bool = False) -> str:
    """«schemes/NAME.yaml in the project is used instead of the scheme bundled with evalkit»
    (English, for the terminal and the log) or, with ``nb`` (a name from before the
    languages), in the current language of the documents and the index: «ordningen er lest fra
    schemes/NAME.yaml i prosjektet, ikke fra filen som følger med evalkit». A file outside the
    project is named by its full path."""
    from evalkit.paths import project_root

    path = Path(path).resolve()
    try:
        shown = path.relative_to(project_root().resolve()).as_posix()
        here = " i prosjektet" if nb else " in the project"
    except ValueError:
        shown, here = str(path), ""
    if nb:
        if here:
            return i18n.t("config.override.project", path=shown)
        return i18n.t("config.override.elsewhere", path=shown)
    return f"{shown}{here} is used instead of the scheme bundled with evalkit"


def scheme_path(name: str) -> Path:
    """Path of the YAML file of scheme ``name``: ``schemes/<name>.yaml`` of the user's project
    (or a file given with ``--scheme-file``) when there is one, else the package's.

    A project's copy of a bundled scheme takes the place of the bundled one (see
    :func:`override_line` for the line that says so). Only a name is accepted (letters,
    digits, ``_`` and ``-``): a path such as ``../../x`` never reaches a YAML file outside the
    schemes folders; :func:`load_scheme_file` takes paths.
    """
    if not _NAME.fullmatch(str(name)):
        raise EvalkitError(
            f"{name!r} is not a scheme name (letters, digits, _ and - only). Known schemes: "
            f"{', '.join(available_schemes())}; a scheme file elsewhere is read with "
            "load_scheme_file (--scheme-file)."
        )
    user = _user_files().get(name)
    if user is not None:
        return user
    bundled = bundled_folder() / f"{name}.yaml"
    if bundled.is_file():
        return bundled
    raise EvalkitError(
        f"Unknown scheme {name!r}. Known schemes: {', '.join(available_schemes())}. A scheme "
        "of your own goes in schemes/<name>.yaml in the project folder."
    )


def clip_text(text: Any, limit: int = LINE_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters, ending in «…» where it was cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind_of_file(mode: int) -> str | None:
    """What a file that is not a regular file is (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISCHR: "a device",
        stat.S_ISBLK: "a device",
        stat.S_ISSOCK: "a socket",
    }
    return next((what for test, what in kinds.items() if test(mode)), "not a regular file")


def check_file(path: Path, mode: int, size: int) -> None:
    """Refuse what is no regular file, or is larger than :data:`MAX_SCHEME_BYTES`."""
    kind = kind_of_file(mode)
    if kind is not None:
        raise EvalkitError(
            f"The scheme file {path} is {kind}, not a regular file, so it is not read. Give "
            "the path of a .yaml file (or remove it from schemes/)."
        )
    if size > MAX_SCHEME_BYTES:
        raise EvalkitError(
            f"The scheme file {path} has {size:,} bytes; a scheme file is at most "
            f"{MAX_SCHEME_BYTES:,} bytes (1 MiB; the bundled ones are under 16 KB), so it is "
            "not read. Check that it is a scheme YAML, and remove what does not belong in it."
        )


def read_scheme_bytes(path: Path) -> bytes:
    """The bytes of a scheme file, checked on the open file (it may have been replaced since
    it was looked at): a regular file of at most :data:`MAX_SCHEME_BYTES`."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: a FIFO put in its place does not hang
    except OSError as err:
        raise EvalkitError(
            f"The scheme file {path} cannot be read ({err.strerror}). Check the path."
        ) from None
    with open(fd, "rb") as f:
        st = os.fstat(f.fileno())
        check_file(path, st.st_mode, st.st_size)
        data = f.read(MAX_SCHEME_BYTES + 1)
    check_file(path, st.st_mode, len(data))
    return data
