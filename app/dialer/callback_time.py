"""When "call me later" means: a caller's words (English, Hinglish) or an ISO time, read in the customer's
local time. Pure, so every phrase is easy to test; anything it cannot read means "later": two hours on."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

LATER = timedelta(hours=2)
DEFAULT_HOUR = 10
PARTS_OF_DAY = {
    "morning": 10,
    "subah": 10,
    "afternoon": 14,
    "dopahar": 14,
    "evening": 18,
    "shaam": 18,
    "sham": 18,
    "night": 20,
    "raat": 20,
    "tonight": 20,
}
NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "ek": 1,
    "do": 2,
    "teen": 3,
    "char": 4,
    "paanch": 5,
    "panch": 5,
    "chhe": 6,
    "saat": 7,
    "aath": 8,
    "nau": 9,
    "das": 10,
    "gyarah": 11,
    "barah": 12,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBER = r"(\d{1,2}|" + "|".join(NUMBERS) + r")"
CLOCK = re.compile(rf"\b(?:at\s+|around\s+)?{_NUMBER}(?::(\d{{2}}))?\s*(am|pm|a\.m\.|p\.m\.|baje|o'?clock)?\b")
RELATIVE = re.compile(
    rf"\bin\s+(?:an?\s+|{_NUMBER}\s+)?(hour|hours|minute|minutes|mins?)\b|"
    rf"\b{_NUMBER}\s+(ghante|ghanta|minute|minutes)\s+(?:baad|mein|me)\b"
)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word]


def parse_when(text: str, now: datetime) -> datetime:
    """The local moment meant by `text`, never in the past; `now` is aware, in the customer's zone."""
    said = " ".join(text.lower().split())
    iso = _iso(said, now)
    if iso is not None:
        return max(iso, now)
    relative = RELATIVE.search(said)
    if relative:
        count_word = relative.group(1) or relative.group(3)
        unit = relative.group(2) or relative.group(4)
        count = _number(count_word) if count_word else 1
        return now + (timedelta(hours=count) if unit.startswith(("hour", "ghant")) else timedelta(minutes=count))
    day, day_named = now.date(), False
    if "day after tomorrow" in said or "parso" in said:
        day, day_named = day + timedelta(days=2), True
    elif "tomorrow" in said or re.search(r"\bkal\b", said):
        day, day_named = day + timedelta(days=1), True
    else:
        for index, name in enumerate(WEEKDAYS):
            if name in said:
                day, day_named = day + timedelta(days=(index - day.weekday() - 1) % 7 + 1), True
                break
    part = next((hour for word, hour in PARTS_OF_DAY.items() if re.search(rf"\b{word}\b", said)), None)
    hour, minute = _clock(said, part)
    if hour is None and part is None and not day_named:
        return now + LATER
    moment = datetime.combine(day, time(hour if hour is not None else part or DEFAULT_HOUR, minute), tzinfo=now.tzinfo)
    if moment <= now:
        moment += timedelta(days=1)
    return moment


def _clock(said: str, part: int | None) -> tuple[int | None, int]:
    for match in CLOCK.finditer(said):
        word, minutes, suffix = match.group(1), match.group(2), (match.group(3) or "").replace(".", "")
        if not suffix and not minutes and not match.group(0).startswith(("at", "around")) and part is None:
            continue  # a bare number ("order 5") is not a time
        hour = _number(word)
        if hour > 23 or (minutes and int(minutes) > 59):
            continue
        if suffix == "pm" and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        elif suffix not in ("am", "pm") and hour < 12 and ((part is None and 1 <= hour <= 7) or (part or 0) >= 14):
            hour += 12  # "at 5", "5 baje", "evening at 6": the afternoon, not dawn
        return hour, int(minutes or 0)
    return None, 0


def _iso(said: str, now: datetime) -> datetime | None:
    try:
        moment = datetime.fromisoformat(said.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment.astimezone(now.tzinfo)
