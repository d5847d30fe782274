"""Synthetic demo exports: ``evalkit demo`` writes ``data/demo/`` byte for byte the same on
every run and machine.

Not part of the pipeline: nothing under ``evalkit`` but the command line imports this package.
:mod:`evalkit.demo.generator` builds the data, calibrated from the published figures of
:mod:`evalkit.demo.published` (``published_figures.yaml`` in this package).
"""

from evalkit.demo.generator import DEMO_FILES, PLANTED_PROBLEMS, PlantedProblem, generate, truth

__all__ = ["DEMO_FILES", "PLANTED_PROBLEMS", "PlantedProblem", "generate", "truth"]
