"""Importing customers from an uploaded .csv or .json file: parsed in a worker thread a batch at a time and
upserted batch by batch, so memory stays flat however long the file is.

The whole import is one transaction: a file that turns out to be broken (bad encoding, broken header,
unbalanced quotes, invalid JSON) is a 400 that writes nothing. Bad rows are skipped and reported.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import IO, Any

from tortoise.transactions import in_transaction

from app.customers.bulk import RowError, first_of_each_phone, write_batch
from app.customers.service import check_records
from app.errors import Invalid

BATCH = 1000
MAX_REPORTED_ERRORS = 1000
CSV_COLUMNS = ("name", "phone", "email", "tags", "preferred_language", "metadata")
Parsed = list[tuple[int, Any]]  # (row number, record dict | RowError | None for a blank row)


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)


class CsvRecords:
    """Rows of a CSV file numbered by the file line they start on (the header is line 1)."""

    def __init__(self, binary: IO[bytes]) -> None:
        self._text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        self._reader = csv.reader(self._text, strict=True)
        self._header: list[str] | None = None
        self._line = 1

    def _read_header(self) -> list[str]:
        row = next(self._reader, None)
        if not row:
            raise Invalid("file: the CSV file is empty or has no header row")
        header = [column.strip().lower() for column in row]
        unknown = [column for column in header if column not in CSV_COLUMNS]
        if unknown:
            raise Invalid(f"file: unknown CSV column '{unknown[0]}' (columns: {', '.join(CSV_COLUMNS)})")
        if "name" not in header or "phone" not in header or len(set(header)) != len(header):
            raise Invalid("file: the CSV header must name each column once and include name and phone")
        self._line = self._reader.line_num + 1
        return header

    def batch(self, size: int) -> Parsed | None:
        try:
            if self._header is None:
                self._header = self._read_header()
            parsed: Parsed = []
            for row in self._reader:
                start, self._line = self._line, self._reader.line_num + 1
                parsed.append((start, self._record(row)))
                if len(parsed) >= size:
                    break
        except csv.Error as error:
            raise Invalid(f"file: malformed CSV at line {self._line}: {error} (unbalanced quotes?)") from None
        except UnicodeDecodeError:
            raise Invalid("file: the file must be UTF-8 encoded") from None
        return parsed or None

    def _record(self, row: list[str]) -> dict[str, Any] | RowError | None:
        if not any(cell.strip() for cell in row):
            return None
        assert self._header is not None
        if len(row) != len(self._header):
            return RowError(self._line - 1, None, f"row has {len(row)} fields, the header has {len(self._header)}")
        cells = dict(zip(self._header, (cell.strip() for cell in row), strict=True))
        record: dict[str, Any] = {key: value for key, value in cells.items() if value}
        record.setdefault("name", cells.get("name", ""))
        if "tags" in record:
            record["tags"] = [tag.strip() for tag in record["tags"].split(",") if tag.strip()]
        if "metadata" in record:
            try:
                record["metadata"] = json.loads(record["metadata"])
            except ValueError:
                return RowError(self._line - 1, record.get("phone"), "metadata must be a JSON object")
        return record


class JsonRecords:
    """Objects of a top-level JSON array, decoded one at a time from a sliding buffer, numbered from 0."""

    CHUNK = 64 * 1024
    SPACE = re.compile(r"\s*")

    def __init__(self, binary: IO[bytes]) -> None:
        self._text = io.TextIOWrapper(binary, encoding="utf-8-sig")
        self._decoder = json.JSONDecoder()
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self._started = False
        self._done = False
        self._index = 0

    def _fill(self) -> bool:
        if self._eof:
            return False
        try:
            chunk = self._text.read(self.CHUNK)
        except UnicodeDecodeError:
            raise Invalid("file: the file must be UTF-8 encoded") from None
        self._eof = not chunk
        self._buffer, self._pos = self._buffer[self._pos :] + chunk, 0
        return bool(chunk)

    def _peek(self) -> str:
        """Skip whitespace; the next character, empty at the end of the file."""
        while True:
            spaces = self.SPACE.match(self._buffer, self._pos)
            self._pos = spaces.end() if spaces is not None else self._pos  # `\s*` matches everywhere
            if self._pos < len(self._buffer) or not self._fill():
                return self._buffer[self._pos : self._pos + 1]

    def batch(self, size: int) -> Parsed | None:
        if not self._started:
            if self._peek() != "[":
                raise Invalid("file: a JSON import must be an array of customer objects")
            self._pos, self._started = self._pos + 1, True
            if self._peek() == "]":
                self._done = True
        parsed: Parsed = []
        while not self._done and len(parsed) < size:
            parsed.append((self._index, self._next_value()))
            self._index += 1
            following = self._peek()
            if following == ",":
                self._pos += 1
            elif following == "]":
                self._done = True
            else:
                raise Invalid(f"file: invalid JSON after item {self._index - 1}")
        return parsed or None

    def _next_value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                if self._fill():
                    continue
                raise Invalid(f"file: invalid JSON at item {self._index}: {error.msg}") from None
            if end == len(self._buffer) and not isinstance(value, (dict, list, str)) and self._fill():
                continue  # a number or literal may go on in the next chunk
            self._pos = end
            return value


def open_records(filename: str, binary: IO[bytes]) -> CsvRecords | JsonRecords:
    lowered = (filename or "").lower()
    if lowered.endswith(".csv"):
        return CsvRecords(binary)
    if lowered.endswith(".json"):
        return JsonRecords(binary)
    raise Invalid("file must be a .csv or .json file")


async def import_customers(organisation_id: str, filename: str, binary: IO[bytes]) -> ImportResult:
    """Upsert every good row by phone (the first row of a phone wins); CPU-bound parsing runs in a thread."""
    records = open_records(filename, binary)
    result = ImportResult()
    seen: dict[str, int] = {}
    async with in_transaction():
        while (parsed := await asyncio.to_thread(records.batch, BATCH)) is not None:
            blank = [number for number, record in parsed if record is None]
            errors = [record for _, record in parsed if isinstance(record, RowError)]
            rows, invalid = check_records((n, r) for n, r in parsed if _to_check(r))
            rows, repeats = first_of_each_phone(rows, seen)
            written = await write_batch(organisation_id, rows, "upsert")
            result.imported += written.created
            result.updated += written.updated
            failed = [*errors, *invalid, *repeats, *written.errors]
            result.skipped += len(blank) + len(failed)
            room = MAX_REPORTED_ERRORS - len(result.errors)
            result.errors.extend(sorted(failed, key=lambda error: error.row)[: max(room, 0)])
    return result


def _to_check(record: Any) -> bool:
    """JSON items that are not objects still go through the checks, which report them."""
    return record is not None and not isinstance(record, RowError)


class CustomerImporter:
    """The platform's handle on imports, so both doors reach them the same way."""

    async def run(self, organisation_id: str, filename: str, binary: IO[bytes]) -> ImportResult:
        return await import_customers(organisation_id, filename, binary)
