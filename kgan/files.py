"""Writing files so that a crash never leaves a half-written one under its final name."""

import contextlib
import json
import os
import shutil
import zipfile


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; on success renames it to `path` in one step.

    The temporary name keeps `path`'s extension (Keras checks it) and starts with a dot so that
    globs for finished files skip it. On an exception the temporary file is removed.
    """
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".tmp-{os.getpid()}-{name}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_model(model, path, extra=None):
    """Saves a Keras model to a `.keras` file atomically, creating its folder if needed.

    Args:
        model: the model.
        path: the `.keras` file.
        extra: `{member name: text}` to add to the archive (Keras ignores other members).
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path) as tmp:
        model.save(tmp)
        if extra:
            with zipfile.ZipFile(tmp, "a") as archive:
                for name, text in extra.items():
                    archive.writestr(name, text)


def copy_file(source, path):
    """Copies `source` to `path` atomically."""
    with atomic_path(path) as tmp:
        shutil.copyfile(source, tmp)


def read_extra(path, name):
    """The JSON value of member `name` that `save_model(..., extra=...)` added to a `.keras`
    file, or `None` when it has none."""
    with zipfile.ZipFile(path) as archive:
        if name not in archive.namelist():
            return None
        return json.loads(archive.read(name))
