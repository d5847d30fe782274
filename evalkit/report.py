"""Compatibility import: the runner lives in :mod:`evalkit.runner` (one module per job)."""

from evalkit.runner import *  # noqa: F403
from evalkit.runner import __all__  # noqa: F401
