"""`when` conditions, evaluated as Argo does with the govaluate library.

Argo substitutes `{{…}}` first, lexes the text with govaluate, then turns every bare word
(govaluate "variable") into a string literal, so `heads == heads` compares text. Consequences
kept here on purpose, because a real cluster behaves the same way:

- a bare word ends at anything but a letter, digit or `_`, so `my-value` is `my - value` and
  fails ("not a number"): quote such values;
- a bare word with a dot (`v1.2`) is a struct accessor to govaluate and fails;
- numbers are float64: `10 > 9` is numeric, `'10' > '9'` is a string comparison;
- `==` needs equal types: `1 == '1'` is false; `true == 'true'` is false.

Quoted strings that look like dates (RFC 3339, `2006-01-02[ 15:04[:05]]`) become Unix seconds,
as govaluate's time parsing does.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
from typing import Any

from wfexec.errors import ExpressionError
from wfexec.expr.builtins import compile_regex
from wfexec.expr.values import go_str

__all__ = ["evaluate_when", "evaluate_govaluate"]

# token kinds
NUM, BOOL, STR, ACC, CMP, LOGIC, MOD, PREFIX, TERN, SEP, OPEN, CLOSE = (
    "NUMERIC", "BOOLEAN", "STRING", "ACCESSOR", "COMPARATOR", "LOGICALOP", "MODIFIER",
    "PREFIX", "TERNARY", "SEPARATOR", "CLAUSE", "CLAUSE_CLOSE")
_START = "START"

_VALUES = {NUM, BOOL, STR, ACC}
_AFTER_VALUE = {MOD, CMP, LOGIC, CLOSE, TERN, SEP}
_NEXT: dict[str, set[str]] = {
    _START: {PREFIX, NUM, BOOL, STR, ACC, OPEN},
    OPEN: {PREFIX, NUM, BOOL, STR, ACC, OPEN, CLOSE},
    CLOSE: {CMP, MOD, NUM, BOOL, STR, OPEN, CLOSE, LOGIC, TERN, SEP},
    NUM: _AFTER_VALUE, BOOL: _AFTER_VALUE, STR: _AFTER_VALUE,
    ACC: _AFTER_VALUE | {OPEN},
    MOD: {PREFIX, NUM, STR, ACC, BOOL, OPEN, CLOSE},
    CMP: {PREFIX, NUM, BOOL, STR, ACC, OPEN, CLOSE},
    LOGIC: {PREFIX, NUM, BOOL, STR, ACC, OPEN, CLOSE},
    PREFIX: {NUM, BOOL, STR, ACC, OPEN, CLOSE},
    TERN: {PREFIX, NUM, BOOL, STR, ACC, OPEN, SEP},
    SEP: {PREFIX, NUM, BOOL, STR, ACC, OPEN},
}
_CAN_END = {CLOSE, NUM, BOOL, STR, ACC}

_COMPARATORS = {"==", "!=", ">", ">=", "<", "<=", "=~", "!~"}
_LOGICAL = {"&&", "||"}
_MODIFIERS = {"+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"}
_PREFIXES = {"-", "!", "~"}
_TERNARY = {"?", ":", "??"}

# binary levels, loosest first (after the separator)
_LEVELS: tuple[frozenset[str], ...] = (
    frozenset(_TERNARY), frozenset({"||"}), frozenset({"&&"}),
    frozenset(_COMPARATORS | {"in"}), frozenset({"&", "|", "^"}), frozenset({">>", "<<"}),
    frozenset({"+", "-"}), frozenset({"*", "/", "%"}), frozenset({"**"}),
)
_DATE_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?")


class _Error(Exception):
    pass


Token = tuple[str, Any]


def _is_symbol_char(ch: str) -> bool:
    return not (ch.isalnum() or ch in "()[]'\"" or ch.isspace())


def _read_while(text: str, pos: int, accept: Any) -> tuple[str, int]:
    """Read characters while accept(ch); a backslash escapes the next one."""
    buf: list[str] = []
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and pos + 1 < len(text):
            buf.append(text[pos + 1])
            pos += 2
            continue
        if ch.isspace() or not accept(ch):
            break
        buf.append(ch)
        pos += 1
    return "".join(buf), pos


def _read_quoted(text: str, pos: int, stop: str) -> tuple[str, int]:
    buf: list[str] = []
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and pos + 1 < len(text):
            buf.append(text[pos + 1])
            pos += 2
            continue
        if ch in stop:
            return "".join(buf), pos + 1
        buf.append(ch)
        pos += 1
    raise _Error("Unclosed string literal" if stop != "]" else "Unclosed parameter bracket")


def _as_time(text: str) -> float | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return float(int(value.timestamp()))


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    state = _START
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        if ch.isdigit() or ch == ".":
            if text.startswith(("0x", "0X"), pos):
                digits, pos = _read_while(text, pos + 2, lambda c: c in "0123456789abcdefABCDEF")
                try:
                    token: Token = (NUM, float(int(digits, 16)))
                except ValueError:
                    raise _Error(f"Unable to parse hex value '{digits}' to uint64") from None
            else:
                digits, pos = _read_while(text, pos, lambda c: c.isdigit() or c == ".")
                try:
                    token = (NUM, float(digits))
                except ValueError:
                    raise _Error(f"Unable to parse numeric value '{digits}' to float64") from None
        elif ch == ",":
            token, pos = (SEP, ","), pos + 1
        elif ch == "[":
            name, pos = _read_quoted(text, pos + 1, "]")
            token = (STR, name)
        elif ch.isalpha():
            word, pos = _read_while(text, pos, lambda c: c.isalnum() or c in "_.")
            token = _word_token(word)
        elif ch in "'\"":
            body, pos = _read_quoted(text, pos + 1, "'\"")
            when = _as_time(body)
            token = (STR, body) if when is None else (NUM, when)
        elif ch == "(":
            token, pos = (OPEN, "("), pos + 1
        elif ch == ")":
            token, pos = (CLOSE, ")"), pos + 1
        else:
            symbol, pos = _read_while(text, pos, _is_symbol_char)
            if not symbol:  # a lone backslash at the end
                raise _Error(f"Invalid token: '{text[pos:]}'")
            token = _symbol_token(symbol, state)
        if token[0] not in _NEXT[state]:
            previous = tokens[-1][1] if tokens else ""
            raise _Error(f"Cannot transition token types from {state} [{go_str(previous)}] "
                         f"to {token[0]} [{go_str(token[1])}]")
        tokens.append(token)
        state = token[0]
    if state not in _CAN_END:
        raise _Error("Unexpected end of expression")
    depth = 0
    for kind, _ in tokens:
        depth += 1 if kind == OPEN else -1 if kind == CLOSE else 0
    if depth != 0:
        raise _Error("Unbalanced parenthesis")
    return tokens


def _word_token(word: str) -> Token:
    if word in ("true", "false"):
        return (BOOL, word == "true")
    if word in ("in", "IN"):
        return (CMP, "in")
    if "." in word:
        if word.endswith("."):
            raise _Error(f"Hanging accessor on token '{word}'")
        for part in word.split(".")[1:]:
            if part and part[0].upper() != part[0]:
                raise _Error(f"Unable to access unexported field '{part}' in token '{word}'")
        return (ACC, word)
    return (STR, word)  # Argo: every govaluate variable becomes a string literal


def _symbol_token(symbol: str, state: str) -> Token:
    if PREFIX in _NEXT[state] and symbol in _PREFIXES:
        return (PREFIX, symbol)
    for kind, symbols in ((MOD, _MODIFIERS), (LOGIC, _LOGICAL), (CMP, _COMPARATORS),
                          (TERN, _TERNARY)):
        if symbol in symbols:
            return (kind, symbol)
    raise _Error(f"Invalid token: '{symbol}' (hint: try wrapping the affected expression "
                 f"in quotes (\"))")


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> tuple:
        node = self.separated()
        if self.peek() is not None:
            raise _Error(f"Unexpected token '{go_str(self.peek()[1])}'")  # type: ignore[index]
        return node

    def separated(self) -> tuple:
        items = [self.level(0)]
        while (tok := self.peek()) is not None and tok[0] == SEP:
            self.i += 1
            items.append(self.level(0))
        return items[0] if len(items) == 1 else ("list", [*items])

    def level(self, n: int) -> tuple:
        if n == len(_LEVELS):
            return self.prefix()
        left = self.level(n + 1)
        while (tok := self.peek()) is not None and tok[0] in (CMP, LOGIC, MOD, TERN) \
                and tok[1] in _LEVELS[n]:
            self.i += 1
            left = ("bin", tok[1], left, self.level(n + 1))
        return left

    def prefix(self) -> tuple:
        tok = self.peek()
        if tok is not None and tok[0] == PREFIX:
            self.i += 1
            return ("prefix", tok[1], self.value())
        return self.value()

    def value(self) -> tuple:
        tok = self.peek()
        if tok is None:
            raise _Error("Unexpected end of expression")
        self.i += 1
        kind, value = tok
        if kind == OPEN:
            inner = self.separated() if self.peek() not in (None, (CLOSE, ")")) else ("lit", None)
            if self.peek() != (CLOSE, ")"):
                raise _Error("Unbalanced parenthesis")
            self.i += 1
            return ("group", inner)
        if kind in (NUM, BOOL, STR):
            return ("lit", value)
        if kind == ACC:
            if self.peek() == (OPEN, "("):
                raise _Error(f"Undefined function {value}")
            return ("acc", value)
        if kind == PREFIX:
            self.i -= 1
            return self.prefix()
        raise _Error(f"Unexpected token '{go_str(value)}'")


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> tuple:
    try:
        return _Parser(_tokenize(text)).parse()
    except _Error as err:
        raise ExpressionError(f"Invalid 'when' expression '{text}': {err}") from None
    except RecursionError:
        raise ExpressionError(f"Invalid 'when' expression '{text}': nested too deeply") from None


def _type_error(value: Any, op: str, what: str) -> _Error:
    return _Error(f"Value '{go_str(value)}' cannot be used with the {what} '{op}'")


def _number(value: Any, op: str, what: str = "modifier") -> float:
    if type(value) is not float:
        raise _Error(f"Value '{go_str(value)}' cannot be used with the {what} '{op}', "
                     f"it is not a number")
    return value


def _bool(value: Any, op: str, what: str = "logical operator") -> bool:
    if type(value) is not bool:
        raise _Error(f"Value '{go_str(value)}' cannot be used with the {what} '{op}', "
                     f"it is not a bool")
    return value


def _deep_equal(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _eval(node: tuple) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "group":
        return _eval(node[1])
    if kind == "list":
        return [_eval(item) for item in node[1]]
    if kind == "acc":
        raise _Error(f"No parameter '{node[1].split('.')[0]}' found (a bare word with a dot "
                     f"is a struct accessor to govaluate; quote it)")
    if kind == "prefix":
        op, value = node[1], _eval(node[2])
        if op == "!":
            return not _bool(value, op, "prefix")
        number = _number(value, op, "prefix")
        return -number if op == "-" else float(~int(number))
    return _binary(node[1], node[2], node[3])


def _binary(op: str, left_node: tuple, right_node: tuple) -> Any:
    left = _eval(left_node)
    if op in ("&&", "||"):
        if left is (op == "||"):
            return left
        _bool(left, op)
        return _bool(_eval(right_node), op)
    if op in ("??", ":"):
        return left if left is not None else _eval(right_node)
    if op == "?":
        return _eval(right_node) if _bool(left, op, "ternary operator") else None
    right = _eval(right_node)
    if op == "==":
        return _deep_equal(left, right)
    if op == "!=":
        return not _deep_equal(left, right)
    if op in ("<", "<=", ">", ">="):
        if not ((type(left) is float and type(right) is float)
                or (isinstance(left, str) and isinstance(right, str))):
            raise _Error(f"Value '{go_str(left)}' cannot be used with the comparator '{op}', "
                         f"it is not a number")
        return {"<": left < right, "<=": left <= right, ">": left > right,
                ">=": left >= right}[op]
    if op in ("=~", "!~"):
        if not isinstance(left, str) or not isinstance(right, str):
            raise _type_error(left if not isinstance(left, str) else right, op, "comparator")
        try:
            found = compile_regex(right).search(left) is not None
        except Exception as err:  # EvalError from a bad pattern
            raise _Error(f"Unable to compile regexp pattern '{right}': {err}") from None
        return found if op == "=~" else not found
    if op == "in":
        if not isinstance(right, list):
            raise _Error(f"Value '{go_str(right)}' cannot be used with the comparator 'in', "
                         f"it is not an array")
        return any(type(left) is type(item) and left == item for item in right)
    if op == "+":
        if isinstance(left, str) or isinstance(right, str):
            return go_str(left) + go_str(right)
        return _number(left, op) + _number(right, op)
    a, b = _number(left, op), _number(right, op)
    return _arith(op, a, b)


def _arith(op: str, a: float, b: float) -> float:
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * (
                math.copysign(1, b))
        return a / b
    if op == "%":
        return math.fmod(a, b) if b != 0 else math.nan
    if op == "**":
        try:
            return math.pow(a, b)
        except (OverflowError, ValueError):
            return math.inf if a > 0 else math.nan
    x, y = _to_int64(a), _to_int64(b)
    if op == "&":
        return float(x & y)
    if op == "|":
        return float(x | y)
    if op == "^":
        return float(x ^ y)
    shift = y % 64 if y >= 0 else 64
    unsigned = x & 0xFFFFFFFFFFFFFFFF
    if op == "<<":
        return float((unsigned << shift) & 0xFFFFFFFFFFFFFFFF if shift < 64 else 0)
    return float(unsigned >> shift if shift < 64 else 0)


def _to_int64(value: float) -> int:
    if math.isnan(value) or math.isinf(value):
        return -(2**63)
    return max(min(int(value), 2**63 - 1), -(2**63))


def evaluate_govaluate(text: str) -> Any:
    """Evaluate an already substituted govaluate expression with Argo's bare-word rule."""
    node = _parse(text)
    try:
        return _eval(node)
    except _Error as err:
        raise ExpressionError(f"cannot evaluate 'when' expression '{text}': {err}") from None
    except RecursionError:
        raise ExpressionError(f"cannot evaluate 'when' expression '{text}': nested too deeply") \
            from None


def evaluate_when(text: str) -> bool:
    """True when a substituted `when` holds; an empty `when` always holds."""
    if text == "":
        return True
    result = evaluate_govaluate(text)
    if not isinstance(result, bool):
        raise ExpressionError(
            f"Invalid 'when' expression '{text}': expected a boolean result, got {go_str(result)}")
    return result
