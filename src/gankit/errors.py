"""User-facing errors: one line that says what was wrong and what to do.

The CLI prints a :class:`GankitError` as a single line (no traceback) and exits with status 2.
Anything else is a bug and keeps its traceback.
"""


class GankitError(Exception):
    """An error caused by the user's input (names, files, data), not by gankit itself."""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (torch's run over several), or its type's name."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class TrainingDiverged(GankitError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""
