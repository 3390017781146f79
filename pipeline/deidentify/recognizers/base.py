"""What every recognizer of this package shares: a version, a lexicon, results that say why."""

from __future__ import annotations

from typing import ClassVar

from .._presidio import AnalysisExplanation, LocalRecognizer, RecognizerResult
from ..lexicon import Lexicon


class Recognizer(LocalRecognizer):
    """A Presidio recognizer configured with a :class:`Lexicon`.

    Subclasses set ``ENTITIES`` and ``VERSION`` (bump it when the logic changes: spans record it)
    and implement ``analyze``.
    """

    ENTITIES: ClassVar[tuple[str, ...]] = ()
    VERSION: ClassVar[str] = "1"

    def __init__(self, lexicon: Lexicon | None = None, supported_language: str = "en"):
        self.lexicon = lexicon or Lexicon()
        super().__init__(
            supported_entities=list(self.ENTITIES),
            name=type(self).__name__,
            supported_language=supported_language,
            version=self.VERSION,
        )

    def load(self) -> None:  # noqa: D102 - nothing to load: the lexicon is built by the engine
        pass

    def result(self, entity: str, start: int, end: int, score: float, why: str) -> RecognizerResult:
        score = round(min(1.0, max(0.0, score)), 3)
        return RecognizerResult(
            entity_type=entity,
            start=start,
            end=end,
            score=score,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name, original_score=score, textual_explanation=why
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def words_before(text: str, start: int, n: int) -> list[str]:
    """Up to ``n`` lower-case words before offset ``start``, nearest last."""
    import re

    return re.findall(
        r"[a-z0-9]+(?:'[a-z]+)?", text[max(0, start - 12 * n) : start].lower().replace("’", "'")
    )[-n:]


def context_near(text: str, start: int, end: int, cues, before: int = 80, after: int = 30) -> bool:
    """True if any cue phrase occurs within ``before`` characters before or ``after`` after."""
    import re

    window = text[max(0, start - before) : start].lower() + " " + text[end : end + after].lower()
    return any(re.search(r"\b" + re.escape(c) + r"\b", window) for c in cues)
