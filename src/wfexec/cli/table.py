"""Plain-text tables that fit the terminal, the way `argo list` and `argo get` print them.

On a terminal, columns are dropped by priority until the row fits; a name is never cut (two
runs must never look alike), and MESSAGE moves under its row, wrapped, when it does not fit
beside it. Piped, every column stays, nothing is padded after the last cell and no colour is
written. Widths count characters (the icons and tree lines are one cell wide each).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

GAP = "   "
WRAP_INDENT = "    "


@dataclass(frozen=True)
class Column:
    header: str
    #: Columns with the highest number go first when the row does not fit; 0 never goes.
    drop_order: int = 0
    #: The message column: last, and wrapped under the row when it does not fit beside it.
    wraps: bool = False


@dataclass
class Row:
    cells: list[str]
    #: Per column index, (start, end, ANSI SGR code) of the span to colour, applied only when colour is on.
    colours: dict[int, tuple[int, int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Terminal:
    """Where output goes: a width when it is a terminal (None when piped), and whether colour is on."""

    width: int | None
    colour: bool


def render(columns: list[Column], rows: list[Row], term: Terminal) -> list[str]:
    """The table as lines, without trailing spaces."""
    keep = list(range(len(columns)))
    widths = [max([len(columns[i].header)] + [len(r.cells[i]) for r in rows]) for i in keep]
    wrap_col = next((i for i, c in enumerate(columns) if c.wraps), None)
    under = False
    if term.width is not None:
        def total(cols: list[int]) -> int:
            return sum(widths[i] for i in cols) + len(GAP) * (len(cols) - 1)

        by_order = sorted((i for i in keep if columns[i].drop_order), key=lambda i: -columns[i].drop_order)
        if wrap_col is not None and total(keep) > term.width:
            # MESSAGE first tries to fit beside the row in what is left, else goes under it.
            keep.remove(wrap_col)
            room = term.width - total(keep) - len(GAP)
            if room >= 20 and all(len(r.cells[wrap_col]) <= room for r in rows):
                keep.append(wrap_col)
            else:
                under = any(r.cells[wrap_col] for r in rows)
        for i in by_order:
            if total(keep) <= term.width:
                break
            if i in keep and i != wrap_col:
                keep.remove(i)
    header = _line([columns[i].header for i in keep], [widths[i] for i in keep], {}, False)
    lines = [header] if not term.colour else [f"\x1b[1m{header}\x1b[0m"]
    for r in rows:
        lines.append(_line([r.cells[i] for i in keep], [widths[i] for i in keep],
                           {k: r.colours[i] for k, i in enumerate(keep) if i in r.colours}, term.colour))
        if under and wrap_col is not None and r.cells[wrap_col]:
            room = max(20, (term.width or 80) - len(WRAP_INDENT))
            lines.extend(WRAP_INDENT + part for part in textwrap.wrap(r.cells[wrap_col], room, break_on_hyphens=False))
    return lines


def _line(cells: list[str], widths: list[int], colours: dict[int, tuple[int, int, str]], colour: bool) -> str:
    parts = []
    for k, (text, width) in enumerate(zip(cells, widths, strict=True)):
        pad = " " * (width - len(text)) if k < len(cells) - 1 else ""
        shown = text
        if colour and k in colours:
            a, b, code = colours[k]
            shown = f"{text[:a]}\x1b[{code}m{text[a:b]}\x1b[0m{text[b:]}"
        parts.append(shown + pad)
    return GAP.join(parts).rstrip()
