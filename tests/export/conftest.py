"""Prints how many corpus documents the export tests took through export and strict validation."""

from __future__ import annotations

import pytest

from tests.export.support import COUNTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for label, count in sorted(COUNTS.items()):
        terminalreporter.write_line(f"export: {count} {label}")
