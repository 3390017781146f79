"""EMAIL: addresses written ("jane.smith@gmail.com"), spoken ("jane dot smith at gmail dot com")
or half and half ("Steve Rowe 50 at gmail.com").

A spoken address is found from its domain: "at" followed by words joined by "dot" or "." ending in
a top-level domain, or a known mail provider near an email cue. The local part is read backwards
from "at" up to punctuation or a word that cannot be part of it ("is", "email", "his").
"""

from __future__ import annotations

import re

from .. import vocab
from .base import Recognizer, context_near

WRITTEN = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")
SPOKEN_DOMAIN = re.compile(
    r"\b(?:at|@)\s+([A-Za-z0-9-]+(?:\s*(?:\.|\bdot\b)\s*[A-Za-z0-9-]+)*)", re.IGNORECASE
)
_SPLIT = re.compile(r"\s*(?:\.|\bdot\b)\s*", re.IGNORECASE)
CONNECTORS = frozenset(("dot", "underscore", "dash", "hyphen", "point"))
EMAIL_CUES = ("email", "e-mail", "e mail", "address", "gmail", "hotmail")
MAX_LOCAL_WORDS = 4


class EmailRecognizer(Recognizer):
    ENTITIES = ("EMAIL",)
    VERSION = "1"

    def analyze(self, text, entities, nlp_artifacts=None):
        results = [
            self.result("EMAIL", m.start(), m.end(), 0.95, "written address")
            for m in WRITTEN.finditer(text)
        ]
        for m in SPOKEN_DOMAIN.finditer(text):
            found = self._spoken(text, m)
            if found:
                results.append(found)
        return results

    def _spoken(self, text, m):
        domain = m.group(1)
        parts = _SPLIT.split(domain)
        # Cut whatever follows the last top-level domain ("gmail.com. So I ..." -> gmail.com).
        last_tld = max(
            (k for k, p in enumerate(parts) if p.lower() in vocab.EMAIL_TLDS and k > 0),
            default=None,
        )
        if last_tld is not None:
            keep = parts[: last_tld + 1]
            score, why = 0.9, "spoken address with a domain"
        elif parts[0].lower() in vocab.EMAIL_PROVIDERS and context_near(
            text, m.start(), m.end(), EMAIL_CUES, before=100
        ):
            keep = parts[:1]
            score, why = 0.75, "mail provider near an email cue"
        else:
            return None
        # End offset of the kept domain parts.
        end = m.start(1)
        rest = text[end : m.end(1)]
        consumed = 0
        for part in keep:
            idx = rest.lower().find(part.lower(), consumed)
            consumed = idx + len(part)
        end += consumed
        start = self._local_start(text, m.start())
        if start is None:
            return None
        return self.result("EMAIL", start, end, score, why)

    @staticmethod
    def _local_start(text: str, at: int) -> int | None:
        """Start of the local part before "at", or None if there is none."""
        pos = at
        start = None
        content = 0
        while True:
            k = pos
            while k > 0 and text[k - 1] in " \t\n":
                k -= 1
            if k == 0 or not (text[k - 1].isalnum() or text[k - 1] in "'"):
                break  # punctuation, a line break or the start: the local part ends here
            j = k
            while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "'._-"):
                j -= 1
            word = text[j:k].lower().strip("._-")
            if not word or word in vocab.EMAIL_STOP_WORDS:
                break
            if word not in CONNECTORS and not word.isdigit():
                content += 1
                if content > MAX_LOCAL_WORDS:
                    break
            start = j
            pos = j
        return start
