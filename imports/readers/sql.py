"""SQL dumps: MySQL and PostgreSQL `INSERT ... VALUES (...),(...)` and `COPY ... FROM stdin`.

The text is tokenised with one regular expression over a rolling buffer, so a
multi-megabyte extended INSERT line costs no more memory than its longest
value. Column names come from the INSERT's column list, the COPY's, or the
table's CREATE TABLE.
"""

import re
from collections.abc import Iterator

from django.conf import settings

from imports.readers.base import DumpError, max_line, row_too_big, too_many_fields

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*\n|\#[^\n]*\n|/\*.*?\*/)
    | (?P<string>'[^'\\]*(?:(?:\\.|'')[^'\\]*)*')
    | (?P<quoted>"[^"]*(?:""[^"]*)*"|`[^`]*(?:``[^`]*)*`)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<other>.)
    """,
    re.S | re.X,
)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_NOT_COLUMNS = {"primary", "key", "unique", "constraint", "index", "foreign", "check", "fulltext"}
_COPY_ESCAPE = re.compile(r"\\(.)")


def unquote_string(token: str) -> str:
    body = token[1:-1].replace("''", "'")
    if "\\" not in body:
        return body
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body, flags=re.S)


def unquote_name(token: str) -> str:
    if token[:1] in '"`':
        return token[1:-1].replace(token[0] * 2, token[0])
    return token


class _Tokens:
    """Tokens over text chunks; also hands out raw lines for COPY data."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = iter(chunks)
        self.buffer = ""
        self.position = 0
        self.eof = False
        self.limit = max_line()

    def _more(self) -> bool:
        if self.eof:
            return False
        piece = next(self.chunks, None)
        while piece == "":
            piece = next(self.chunks, None)
        if piece is None:
            self.eof = True
            return False
        self.buffer = self.buffer[self.position :] + piece
        self.position = 0
        return True

    def next(self) -> tuple[str, str] | None:
        """The next significant token as (kind, text), or None at the end."""
        while True:
            if self.position >= len(self.buffer) and not self._more():
                return None
            match = _TOKEN.match(self.buffer, self.position)
            # Never None: the buffer has text at the position, `other` takes any
            # one character, and every alternative is a named group.
            assert match is not None and match.lastgroup is not None
            kind = match.lastgroup
            text = match.group()
            # A token near the buffer's end, or a string or comment not closed
            # in it, may continue in the next chunk.
            if not self.eof and (
                match.end() >= len(self.buffer) - 1 or self._unclosed(kind, text, match.end())
            ):
                if len(self.buffer) - self.position > self.limit:
                    raise DumpError(
                        "An SQL value is longer than %(limit)s KB; not a dump row.",
                        limit=self.limit // 1024,
                    )
                if self._more():
                    continue
            if kind == "other" and text in "'\"`":
                raise DumpError("The SQL dump has a string that never ends; it is truncated.")
            self.position = match.end()
            if kind in ("space", "comment"):
                continue
            return kind, text

    def _unclosed(self, kind: str, text: str, end: int) -> bool:
        if kind != "other":
            return False
        if text in "'\"`":
            return True
        following = self.buffer[end : end + 1]
        if text == "-" and following == "-":
            return "\n" not in self.buffer[end:]
        if text == "/" and following == "*":
            return "*/" not in self.buffer[end:]
        return text == "#" and "\n" not in self.buffer[end:]

    def line(self) -> str | None:
        """A raw line (COPY data), without its newline."""
        while True:
            end = self.buffer.find("\n", self.position)
            if end >= 0:
                text = self.buffer[self.position : end]
                self.position = end + 1
                return text.rstrip("\r")
            if len(self.buffer) - self.position > self.limit:
                raise DumpError(
                    "A COPY line is longer than %(limit)s KB.", limit=self.limit // 1024
                )
            if not self._more():
                if self.position >= len(self.buffer):
                    return None
                text = self.buffer[self.position :]
                self.position = len(self.buffer)
                return text


# (table, its column names if known, one row's values)
_Row = tuple[str, list[str] | None, list[str]]


def sql_rows(chunks: Iterator[str]) -> Iterator[_Row]:
    """(table, columns or None, row) for every row of every INSERT and COPY."""
    tokens = _Tokens(chunks)
    columns: dict[str, list[str]] = {}
    while (token := tokens.next()) is not None:
        kind, text = token
        word = text.lower() if kind == "word" else ""
        if word == "insert" or word == "replace":
            yield from _insert(tokens, columns)
        elif word == "create":
            _create(tokens, columns)
        elif word == "copy":
            yield from _copy(tokens, columns)


def _name(tokens: _Tokens) -> tuple[str, tuple[str, str] | None]:
    """A possibly qualified table name, and the token after it."""
    parts = []
    token = tokens.next()
    while token and token[0] in ("word", "quoted"):
        parts.append(unquote_name(token[1]))
        token = tokens.next()
        if token and token[1] == ".":
            token = tokens.next()
            continue
        break
    return ".".join(parts), token


def _column_list(tokens: _Tokens) -> list[str]:
    names = []
    while (token := tokens.next()) is not None and token[1] != ")":
        if token[0] in ("word", "quoted"):
            names.append(unquote_name(token[1]))
            if len(names) > settings.IMPORT_MAX_FIELDS:
                raise too_many_fields()
    return names


def _insert(tokens: _Tokens, columns: dict[str, list[str]]) -> Iterator[_Row]:
    token = tokens.next()
    while token and token[0] == "word" and token[1].lower() in ("ignore", "low_priority", "into"):
        if token[1].lower() == "into":
            break
        token = tokens.next()
    table, token = _name(tokens)
    names = columns.get(table)
    if token and token[1] == "(":
        names = _column_list(tokens)
        token = tokens.next()
    if not token or token[1].lower() not in ("values", "value"):
        _skip_statement(tokens, token)
        return
    while True:
        token = tokens.next()
        if token is None or token[1] == ";":
            return
        if token[1] == ",":
            continue
        if token[1] != "(":
            _skip_statement(tokens, token)
            return
        yield table, names, _tuple(tokens)


def _tuple(tokens: _Tokens) -> list[str]:
    values: list[str] = []
    depth = 0
    current: str | None = ""
    # The row's decoded size, values and cells together (imports.readers.base.row_size).
    size, limit = 0, max_line()
    while (token := tokens.next()) is not None:
        kind, text = token
        size += len(text) + 1
        if size > limit:
            raise row_too_big("of an INSERT")
        if text == "(":
            depth += 1
        elif text == ")":
            if depth == 0:
                values.append(current or "")
                return values
            depth -= 1
        elif text == "," and depth == 0:
            values.append(current or "")
            current = ""
            continue
        if kind == "string":
            current = unquote_string(text)
        elif kind == "word" and text.upper() == "NULL":
            current = ""
        elif depth == 0 and kind in ("number", "word", "quoted"):
            current = (current or "") + text
    raise DumpError("The SQL dump ends inside a row; it is truncated.")


def _skip_statement(tokens: _Tokens, token: tuple[str, str] | None) -> None:
    while token is not None and token[1] != ";":
        token = tokens.next()


def _create(tokens: _Tokens, columns: dict[str, list[str]]) -> None:
    token = tokens.next()
    if not token or token[1].lower() != "table":
        _skip_statement(tokens, token)
        return
    table, token = _name(tokens)
    while token and token[0] == "word" and token[1].lower() in ("if", "not", "exists"):
        table, token = _name(tokens)
    if not token or token[1] != "(":
        _skip_statement(tokens, token)
        return
    if table not in columns and len(columns) >= settings.IMPORT_MAX_FIELDS:
        raise too_many_fields()
    names = []
    depth = 0
    expect_name = True
    while (token := tokens.next()) is not None:
        if token[1] == "(":
            depth += 1
        elif token[1] == ")":
            if depth == 0:
                break
            depth -= 1
        elif token[1] == "," and depth == 0:
            expect_name = True
            continue
        elif expect_name and depth == 0 and token[0] in ("word", "quoted"):
            name = unquote_name(token[1])
            if name.lower() not in _NOT_COLUMNS:
                names.append(name)
                if len(names) > settings.IMPORT_MAX_FIELDS:
                    raise too_many_fields()
        expect_name = False
    columns[table] = names
    _skip_statement(tokens, tokens.next())


def _copy(tokens: _Tokens, columns: dict[str, list[str]]) -> Iterator[_Row]:
    table, token = _name(tokens)
    names = columns.get(table)
    if token and token[1] == "(":
        names = _column_list(tokens)
        token = tokens.next()
    words = []
    while token is not None and token[1] != ";":
        words.append(token[1].lower())
        token = tokens.next()
    if words[:2] != ["from", "stdin"]:
        return
    tokens.line()  # the rest of the COPY statement's line
    while (line := tokens.line()) is not None:
        if line == "\\.":
            return
        yield table, names, [_copy_value(value) for value in line.split("\t")]
    raise DumpError("The COPY block never ends (no `\\.` line); the dump is truncated.")


def _copy_value(value: str) -> str:
    if value == "\\N":
        return ""
    if "\\" not in value:
        return value
    return _COPY_ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)


def looks_like_sql(head: str) -> bool:
    sample = head[:65536].upper()
    return any(
        marker in sample
        for marker in ("INSERT INTO", "COPY ", "CREATE TABLE", "-- MYSQL DUMP", "PG_DUMP")
    ) and ("INSERT " in sample or "COPY " in sample or "CREATE TABLE" in sample)
