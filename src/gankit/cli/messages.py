"""How commands print warnings: one line each, `gankit: warning: ...`, without Python's file and line."""
from __future__ import annotations

import functools
import sys
import warnings


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"gankit: warning: {message}", file=sys.stderr)


def one_line_warnings(command):
    """Decorate a command's ``run(args)``: every warning raised inside is printed as one line."""
    @functools.wraps(command)
    def run(args) -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            return command(args)
    return run
