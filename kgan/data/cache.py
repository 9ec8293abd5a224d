"""A disk cache of decoded image data sets, so that a run on images decoded before skips the
decoding (2,000 28x28 PNGs: 0.12 s to 0.01 s; 41,592 Pokemon sprites at 64x64: 5.7 s to 1.2 s
through TFDS, 11.4 s to 0.3 s as a folder; scripts/RESULTS.md, "The cache of decoded images").

An entry holds one source at one sample shape and is read back only while the fingerprint of
the source's files (names, sizes, modification times) is the one it was written with; a
changed source rewrites it. `KGAN_CACHE` names the cache folder (default `~/.cache/kgan`, or
`$XDG_CACHE_HOME/kgan`); `KGAN_CACHE=off` turns the cache off. `kgan cache` lists the entries
(`list_entries`) and `kgan cache --clear` deletes them (`clear`).
"""

import collections
import hashlib
import os
import re
import sys
import zipfile

import numpy as np

from kgan.data.examples import Examples
from kgan.files import atomic_path

CACHE_ENV = "KGAN_CACHE"
# Part of every entry's fingerprint: raise it when decoding changes (resizing, colour
# conversion), so that entries decoded the old way are decoded again.
DECODING_VERSION = 1
# The names the cache writes: an entry, `KEY.npz`, and the temporary file of one being written
# (`files.atomic_path`); `clear` deletes nothing else, whatever folder KGAN_CACHE names.
KEY_DIGITS = 24
CACHE_FILE = re.compile(rf"(\.tmp-\d+-)?[0-9a-f]{{{KEY_DIGITS}}}\.npz")
# Raised by reading a missing, truncated or foreign entry: a miss, not an error.
UNREADABLE_ENTRY = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)

Entry = collections.namedtuple("Entry", "path source shape size")
Entry.__doc__ = """One cache file: what it was decoded from (`source`) and the shape of its images
array (`[count, height, width, channels]`), both `None` for a file that cannot be read (an entry
of an older kgan, or one left half-written), and its `size` in bytes."""


def cache_folder():
    """The cache folder, or `None` when `KGAN_CACHE=off`."""
    folder = os.environ.get(CACHE_ENV)
    if folder == "off":
        return None
    if folder:
        return folder
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(home, "kgan")


def files_fingerprint(paths):
    """A digest of the names, sizes and modification times of `paths`: it changes when a file
    is added, removed, renamed or rewritten."""
    digest = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}\n".encode())
    return digest.hexdigest()


def cached(source, sample_shape, fingerprint, load):
    """The `Examples` of `source` at `sample_shape`, from the cache while `fingerprint` holds.

    Args:
        source: what the examples come from, e.g. a folder's absolute path.
        sample_shape: the shape they were decoded at.
        fingerprint: a digest of the source's files (`files_fingerprint`).
        load: decodes the examples: returns `(examples, keep)`; `keep=False` leaves them out of
            the cache (a folder with unreadable files warns again at every run).

    Returns:
        `Examples`, equal to what `load` returns.
    """
    folder = cache_folder()
    if folder is None:
        return load()[0]
    key = hashlib.sha256(f"{source}\0{tuple(sample_shape)}".encode()).hexdigest()[:KEY_DIGITS]
    path = os.path.join(folder, f"{key}.npz")
    fingerprint = f"{DECODING_VERSION}:{fingerprint}"
    try:
        with np.load(path) as entry:
            if str(entry["fingerprint"]) == fingerprint:
                labels = entry["labels"] if "labels" in entry else None
                return Examples(entry["values"], labels, tuple(entry["class_names"].tolist()))
    except UNREADABLE_ENTRY:
        pass
    examples, keep = load()
    if keep:
        _write(path, source, fingerprint, examples)
    return examples


def _write(path, source, fingerprint, examples):
    """Writes one entry atomically; a cache that cannot be written only warns."""
    labels = {} if examples.labels is None else {"labels": examples.labels}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with atomic_path(path) as tmp:
            np.savez(tmp, fingerprint=np.str_(fingerprint), source=np.str_(source),
                     shape=np.asarray(examples.values.shape), values=examples.values,
                     class_names=np.asarray(examples.class_names, dtype=str), **labels)
    except OSError as error:
        print(f"warning: cannot cache the decoded images in {path} ({error}); set "
              f"{CACHE_ENV}=off to stop trying", file=sys.stderr)


def list_entries():
    """The cache's entry files, largest first, as `Entry`s; none when the cache is off or was
    never written. A temporary file that a killed run left behind has no source or shape."""
    found = []
    for path in _cache_files():
        try:
            with np.load(path) as entry:  # reads these two small arrays, not the images
                source, shape = str(entry["source"]), tuple(entry["shape"].tolist())
        except UNREADABLE_ENTRY:
            source, shape = None, None
        found.append(Entry(path, source, shape, os.path.getsize(path)))
    return sorted(found, key=lambda entry: -entry.size)


def clear():
    """Deletes every file that the cache wrote in its folder (`CACHE_FILE`); returns how many and
    their bytes. A run that reads the cache next decodes its images again."""
    files = _cache_files()
    size = sum(map(os.path.getsize, files))
    for path in files:
        os.remove(path)
    return len(files), size


def _cache_files():
    folder = cache_folder()
    if folder is None or not os.path.isdir(folder):
        return []
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder))
            if CACHE_FILE.fullmatch(name)]
