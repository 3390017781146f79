"""Presidio, imported the one way this package imports it: without torch and CuPy.

spaCy's thinc imports torch and CuPy whenever they are installed, to offer them as backends.
De-identification runs spaCy's CPU pipelines (a transformer one is refused: see engine.py) and
needs neither, but on a machine that has them (a GPU machine, typically) the import took 7 s of
every run's de-identification (12.7 s against 5.6 s on the H200 machine) and let CuPy start a
CUDA context in the worker. They are hidden while Presidio (and with it spaCy) is first imported;
a program that imported them already keeps them, and later imports work as usual.
"""

from __future__ import annotations

import sys

_HIDDEN = ("torch", "cupy", "cupyx")

_hidden = [name for name in _HIDDEN if name not in sys.modules]
for _name in _hidden:
    sys.modules[_name] = None  # type: ignore[assignment]  # "import torch" raises ImportError
try:
    import presidio_analyzer
    from presidio_analyzer import (
        AnalysisExplanation,
        AnalyzerEngine,
        LocalRecognizer,
        Pattern,
        PatternRecognizer,
        RecognizerRegistry,
        RecognizerResult,
    )
    from presidio_analyzer.nlp_engine import NlpEngineProvider
finally:
    for _name in _hidden:
        if sys.modules.get(_name, 0) is None:
            del sys.modules[_name]

__all__ = [
    "AnalysisExplanation",
    "AnalyzerEngine",
    "LocalRecognizer",
    "NlpEngineProvider",
    "Pattern",
    "PatternRecognizer",
    "RecognizerRegistry",
    "RecognizerResult",
    "presidio_analyzer",
]
