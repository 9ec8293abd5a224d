"""The scripts' `--set FIELD=VALUE` preset overrides (imported by the scripts beside it)."""

import json


def parse_override(text):
    """`FIELD=VALUE` as `(field, value)`: the value read as JSON (`0.999`, `true`,
    `[64, 64, 3]`), else kept as text (`hinge`)."""
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value
