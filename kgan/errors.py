"""The one exception type for user mistakes: the CLI prints its message as one line."""


class KganError(Exception):
    """A problem the user can fix (bad option, missing data, unwritable folder)."""


def lookup(registry, name, what):
    """Returns `registry[name]`, or raises `KganError` naming the choices.

    Args:
        registry: a dict of named things.
        name: the requested name.
        what: what the names are, for the message ("loss", "preset").
    """
    try:
        return registry[name]
    except KeyError:
        raise KganError(f"unknown {what} {name!r}; choose one of: {', '.join(registry)}") from None
