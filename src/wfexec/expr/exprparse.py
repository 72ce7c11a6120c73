"""Lexer and parser of expr-lang (the subset Argo evaluates): text to a tuple AST, cached by text,
and the variable paths an expression reads."""

from __future__ import annotations

import functools
import re
from typing import Any

from wfexec.errors import ExpressionError
from wfexec.expr.closures import CLOSURE_BUILTINS

__all__ = ["Node", "access_paths", "parse_expr"]

Node = tuple  # AST nodes are tuples: (kind, ...)

_TOKEN_RE = re.compile(r"""
 (?P<ws>\s+)
|(?P<num>0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)
|(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
|(?P<raw>`[^`]*`)
|(?P<ptr>\#[A-Za-z_]*)
|(?P<name>[^\W\d][\w$]*|\$[\w$]*)
|(?P<op>\*\*|\?\?|\?\.|\.\.|==|!=|<=|>=|&&|\|\||[-+*/%^!<>|()\[\]{},:?.;=])
""", re.X | re.S)

_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", re.S)
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                   "v": "\v", "\\": "\\", "'": "'", '"': '"'}

_WORD_OPS = {"and": "&&", "or": "||", "not": "not", "in": "in", "matches": "matches",
             "contains": "contains", "startsWith": "startsWith", "endsWith": "endsWith"}
_BINARY = {"||": 10, "&&": 15, "==": 20, "!=": 20, "<": 20, ">": 20, "<=": 20, ">=": 20,
           "in": 20, "matches": 20, "contains": 20, "startsWith": 20, "endsWith": 20,
           "..": 25, "+": 30, "-": 30, "*": 60, "/": 60, "%": 60, "**": 100, "^": 100,
           "??": 500}
_RIGHT_ASSOC = {"**", "^"}
_ORDERING = {"<", ">", "<=", ">="}
_NEGATABLE = {"in", "matches", "contains", "startsWith", "endsWith"}
_UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}


class _ParseError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


def _unescape(body: str, pos: int) -> str:
    def repl(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[esc]
        if esc[0] in "xuU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        if len(esc) == 3 and esc.isdigit():
            return chr(int(esc, 8))
        raise _ParseError(f"invalid escape sequence '\\{esc}'", pos)
    return _ESCAPE_RE.sub(repl, body) if "\\" in body else body


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos, end = 0, len(text)
    while pos < end:
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise _ParseError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "num":
            tokens.append(("num", _number(value, pos), pos))
        elif kind == "str":
            tokens.append(("str", _unescape(value[1:-1], pos), pos))
        elif kind == "raw":
            tokens.append(("str", value[1:-1], pos))
        elif kind == "name":
            if value in _WORD_OPS:
                tokens.append(("op", _WORD_OPS[value], pos))
            else:
                tokens.append(("name", value, pos))
        elif kind != "ws":
            tokens.append((kind, value, pos))
        pos = m.end()
    tokens.append(("eof", None, end))
    return tokens


def _number(text: str, pos: int) -> int | float:
    clean = text.replace("_", "")
    try:
        if clean[:2].lower() in ("0x", "0o", "0b"):
            return int(clean, 0)
        if any(c in clean for c in ".eE"):
            return float(clean)
        return int(clean)
    except ValueError:
        raise _ParseError(f"invalid number {text!r}", pos) from None


class _Parser:
    """Precedence-climbing parser producing tuple nodes."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> tuple[str, Any, int]:
        return self.tokens[self.i]

    def is_op(self, *ops: str) -> bool:
        kind, value, _ = self.tokens[self.i]
        return kind == "op" and value in ops

    def expect(self, op: str) -> None:
        if not self.is_op(op):
            self.fail(f"expected '{op}'")
        self.i += 1

    def fail(self, message: str) -> None:
        kind, value, pos = self.tok
        found = "end of expression" if kind == "eof" else repr(value)
        raise _ParseError(f"{message}, found {found}", pos)

    def parse(self) -> Node:
        node = self.expression()
        if self.tok[0] != "eof":
            self.fail("unexpected token")
        return node

    def expression(self) -> Node:
        if self.tok == ("name", "let", self.tok[2]) and self.tokens[self.i + 1][0] == "name":
            return self.let()
        if self.tok[:2] == ("name", "if"):
            return self.if_else()
        node = self.binary(0)
        while self.is_op("|"):
            self.i += 1
            node = self.call_after_pipe(node)
        return self.conditional(node)

    def let(self) -> Node:
        self.i += 1
        name = self.tok[1]
        self.i += 1
        self.expect("=")
        value = self.expression()
        self.expect(";")
        return ("let", name, value, self.expression())

    def if_else(self) -> Node:
        """`if cond { a } else { b }` (expr's multi-line conditional)."""
        self.i += 1
        cond = self.expression()
        self.expect("{")
        then = self.expression()
        self.expect("}")
        if self.tok[:2] != ("name", "else"):
            self.fail("expected 'else'")
        self.i += 1
        if self.tok[:2] == ("name", "if"):
            return ("cond", cond, then, self.if_else())
        self.expect("{")
        other = self.expression()
        self.expect("}")
        return ("cond", cond, then, other)

    def conditional(self, node: Node) -> Node:
        while self.is_op("?"):
            self.i += 1
            if self.is_op(":"):
                self.i += 1
                node = ("elvis", node, self.expression())
            else:
                then = self.expression()
                self.expect(":")
                node = ("cond", node, then, self.expression())
        return node

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        previous = ""
        while True:
            kind, op, _ = self.tok
            if kind != "op":
                break
            negate = False
            if op == "not":
                nxt = self.tokens[self.i + 1]
                if nxt[0] == "op" and nxt[1] in _NEGATABLE:
                    negate, op = True, nxt[1]
                else:
                    break
            prec = _BINARY.get(op)
            if prec is None or prec < min_prec or (prec == min_prec and op not in _RIGHT_ASSOC):
                break
            if previous == "??" and op != "??":
                self.fail(f"operator ({op}) and coalesce expressions (??) cannot be mixed; "
                          f"wrap either in parentheses")
            self.i += 2 if negate else 1
            if op in _ORDERING:
                left = self.comparison_chain(left, op, prec)
            else:
                right = self.binary(prec if op in _RIGHT_ASSOC else prec + 1)
                left = ("bin", op, left, right)
            if negate:
                left = ("unary", "not", left)
            previous = op
        return left

    def comparison_chain(self, left: Node, op: str, prec: int) -> Node:
        """`a < b <= c` means `a < b && b <= c`, as in expr."""
        right = self.binary(prec + 1)
        node: Node = ("bin", op, left, right)
        while self.tok[0] == "op" and self.tok[1] in _ORDERING:
            op = self.tok[1]
            self.i += 1
            nxt = self.binary(prec + 1)
            node = ("bin", "&&", node, ("bin", op, right, nxt))
            right = nxt
        return node

    def unary(self) -> Node:
        kind, op, _ = self.tok
        if kind == "op" and op in _UNARY:
            self.i += 1
            operand = self.binary(_UNARY[op])
            return ("unary", op, operand)
        return self.postfix(self.primary())

    def primary(self) -> Node:
        kind, value, _ = self.tok
        if kind in ("num", "str"):
            self.i += 1
            return ("lit", value)
        if kind == "ptr":
            self.i += 1
            return ("ptr", value[1:] or "#")
        if kind == "name":
            self.i += 1
            if value in ("true", "false"):
                return ("lit", value == "true")
            if value == "nil":
                return ("lit", None)
            if self.is_op("("):
                return self.call(value, None)
            return ("id", value)
        if kind == "op":
            if value == "(":
                self.i += 1
                node = self.expression()
                self.expect(")")
                return node
            if value == "[":
                self.i += 1
                return ("array", self.items("]"))
            if value == "{":
                return self.map_literal()
            if value == "." and self.tokens[self.i + 1][0] == "name":
                self.i += 1
                name = self.tok[1]
                self.i += 1
                return ("member", ("ptr", "#"), ("lit", name), False)
        self.fail("unexpected token")
        raise AssertionError  # unreachable

    def items(self, close: str) -> list[Node]:
        out: list[Node] = []
        while not self.is_op(close):
            out.append(self.expression())
            if not self.is_op(close):
                self.expect(",")
        self.i += 1
        return out

    def map_literal(self) -> Node:
        self.expect("{")
        pairs: list[tuple[Node, Node]] = []
        while not self.is_op("}"):
            kind, value, _ = self.tok
            if kind in ("name", "str", "num"):
                self.i += 1
                key: Node = ("lit", value)
            elif self.is_op("("):
                self.i += 1
                key = self.expression()
                self.expect(")")
            else:
                self.fail("a map key must be a name, a string, a number or (expression)")
            self.expect(":")
            pairs.append((key, self.expression()))
            if not self.is_op("}"):
                self.expect(",")
        self.i += 1
        return ("map", pairs)

    def call(self, name: str, piped: Node | None) -> Node:
        self.expect("(")
        if name in CLOSURE_BUILTINS:
            args: list[Node] = [] if piped is None else [piped]
            while not self.is_op(")"):
                closure_slot = len(args) == 1
                if closure_slot and self.is_op("{"):
                    self.i += 1
                    args.append(("closure", self.expression()))
                    self.expect("}")
                elif closure_slot:
                    args.append(("closure", self.expression()))
                else:
                    args.append(self.expression())
                if not self.is_op(")"):
                    self.expect(",")
            self.i += 1
            return ("builtin", name, args)
        args = self.items(")")
        if piped is not None:
            args.insert(0, piped)
        return ("call", ("id", name), args)

    def call_after_pipe(self, piped: Node) -> Node:
        kind, name, _ = self.tok
        if kind != "name" or self.tokens[self.i + 1][:2] != ("op", "("):
            self.fail("expected a function call after '|'")
        self.i += 1
        return self.call(name, piped)

    def postfix(self, node: Node) -> Node:
        optional_chain = False
        while True:
            if self.is_op(".", "?."):
                optional = self.tok[1] == "?."
                optional_chain = optional_chain or optional
                self.i += 1
                if optional and self.is_op("["):
                    self.i += 1
                    node = ("member", node, self.expression(), True)
                    self.expect("]")
                    continue
                kind, name, _ = self.tok
                if kind not in ("name",) and not (kind == "op" and name in _WORD_OPS.values()):
                    self.fail("expected a field name after '.'")
                self.i += 1
                node = ("member", node, ("lit", name), optional)
            elif self.is_op("["):
                self.i += 1
                node = self.index_or_slice(node)
            elif self.is_op("(") and node[0] == "member":
                self.i += 1
                node = ("call", node, self.items(")"))
            else:
                break
        return ("chain", node) if optional_chain else node

    def index_or_slice(self, node: Node) -> Node:
        lo: Node | None = None
        if not self.is_op(":"):
            lo = self.expression()
            if self.is_op("]"):
                self.i += 1
                return ("member", node, lo, False)
        self.expect(":")
        hi = None if self.is_op("]") else self.expression()
        self.expect("]")
        return ("slice", node, lo, hi)


@functools.lru_cache(maxsize=8192)
def parse_expr(text: str) -> Node:
    """Parse an expression once; raises ExpressionError naming the expression on bad syntax."""
    try:
        return _Parser(text).parse()
    except _ParseError as err:
        raise ExpressionError(
            f"invalid expression '{text}': {err} (column {err.pos + 1})") from None
    except RecursionError:
        raise ExpressionError(f"invalid expression '{text}': nested too deeply") from None


def _static_path(node: Node) -> str | None:
    """`a.b['c']` as "a.b.c" when every step is a literal name; None otherwise."""
    if node[0] == "id":
        return str(node[1])
    if node[0] == "member" and node[2][0] == "lit" and isinstance(node[2][1], str):
        base = _static_path(node[1])
        return None if base is None else f"{base}.{node[2][1]}"
    return None


@functools.lru_cache(maxsize=8192)
def access_paths(text: str) -> frozenset[str]:
    """Dotted variable paths an expression reads (`tasks.a.outputs.result`, `item`)."""
    paths: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, tuple) and node and isinstance(node[0], str):
            path = _static_path(node) if node[0] in ("id", "member") else None
            if path is not None:
                paths.add(path)
                return
            for child in node[1:]:
                walk(child)
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
    walk(parse_expr(text))
    return frozenset(paths)
