"""The one exception type for user mistakes: the CLI prints its message as one line."""


class KganError(ValueError):
    """A problem the user can fix (bad option, missing data, unwritable folder).

    A `ValueError`, so that code catching bad arguments the Keras way catches it too.
    """


def parse_names(text, registry, what):
    """Splits a comma-separated option like `fid,kid,swd` into a tuple of registered names.

    Raises:
        KganError: a name is not in `registry`.
    """
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in registry]
    if unknown:
        raise KganError(f"unknown {what} {', '.join(unknown)}; choose one of: {', '.join(registry)}")
    return names


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
