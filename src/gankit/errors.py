"""User-facing errors: one line that says what was wrong and what to do.

The CLI prints a :class:`GankitError` as a single line (no traceback) and exits with status 2.
Anything else is a bug and keeps its traceback.
"""


class GankitError(Exception):
    """An error caused by the user's input (names, files, data), not by gankit itself."""


class TrainingDiverged(GankitError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""
