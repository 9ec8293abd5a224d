"""The one exception type for user mistakes: the CLI prints its message as one line."""


class KganError(Exception):
    """A problem the user can fix (bad option, missing data, unwritable folder)."""
