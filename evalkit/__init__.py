"""evalkit: reproducible evaluation documents for Norwegian municipal health grant schemes."""

#: evalkit's version: the one place it is written (pyproject.toml reads it from here), so that
#: knowing it costs no look-up of the installed package's metadata.
__version__ = "0.1.0"

__all__ = ["__version__"]
