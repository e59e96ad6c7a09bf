"""Cuts streamed LLM text into speakable sentences, so TTS starts before the reply is complete."""

from __future__ import annotations

import re

_END = re.compile(r"(.+?[.!?।…]+[\"')\]]*)(\s+)", re.S)
_AT_END = re.compile(r"(.*?[^\W\d_][.!?।…]+[\"')\]]*)$", re.S)  # a letter then a stop, at the very end
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "sr", "jr", "vs", "etc", "no", "rs"})
_LONG = 160  # a clause this long is spoken at its last comma rather than waiting for a full stop


class SentenceSplitter:
    def __init__(self) -> None:
        self._buffer = ""

    def push(self, delta: str) -> list[str]:
        """Complete sentences so far: a stop then a space, or a stop after a word at the end of the text
        (tokens rarely split there, and waiting for the next token would delay the first audio)."""
        self._buffer += delta
        sentences: list[str] = []
        while True:
            match = _END.match(self._buffer)
            if match:
                sentences.append(match.group(1).strip())
                self._buffer = self._buffer[match.end() :]
                continue
            if len(self._buffer) > _LONG and "," in self._buffer[:-1]:
                cut = self._buffer.rindex(",", 0, len(self._buffer) - 1) + 1
                sentences.append(self._buffer[:cut].strip())
                self._buffer = self._buffer[cut:].lstrip()
                continue
            match = _AT_END.match(self._buffer)
            if match and not self._abbreviation(match.group(1)):
                sentences.append(match.group(1).strip())
                self._buffer = ""
            break
        return [s for s in sentences if s]

    @staticmethod
    def _abbreviation(text: str) -> bool:
        words = re.findall(r"[^\W\d_]+", text)
        return bool(words) and words[-1].lower() in _ABBREVIATIONS and text.rstrip().endswith(".")

    def flush(self) -> str | None:
        rest, self._buffer = self._buffer.strip(), ""
        return rest or None
