"""Decoding images into uint8 arrays of one size and channel count, and image folders."""

import concurrent.futures
import os
import sys

import numpy as np
from PIL import Image, UnidentifiedImageError

from kgan.data.cache import cached, files_fingerprint
from kgan.data.examples import Examples
from kgan.errors import KganError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
# What decoding a file that is not a readable image raises.
UNREADABLE = (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError)


def to_rgb_on_white(image):
    """Converts a PIL image (palette, RGBA, grayscale, ...) to RGB, transparency on white.

    Sprites keep their shape in the alpha channel; dropping it would paint the background with
    whatever colour the transparent pixels happen to hold.
    """
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def load_image(file, sample_shape=None):
    """Decodes one image file (its first frame) as uint8 RGB on white.

    Args:
        file: a path or a binary file object.
        sample_shape: `(height, width, channels)` to resize and convert to (channels 1 or 3);
            `None` keeps the size and returns RGB.

    Returns:
        A uint8 array `[height, width, channels]`.

    Raises:
        OSError, ValueError: the file is not a readable image.
    """
    with Image.open(file) as image:
        image.seek(0)
        image.load()
        image = to_rgb_on_white(image)
    if sample_shape is not None:
        height, width, channels = sample_shape
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        if channels == 1:
            image = image.convert("L")
    pixels = np.asarray(image, np.uint8)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def _try_load(path, sample_shape):
    try:
        return load_image(path, sample_shape), None
    except UNREADABLE as error:
        return None, str(error) or type(error).__name__


# Threads pay only where decoding and resizing outweigh the per-file Python work, which holds
# Python's lock: 2,000 sprites at 64x64 decoded to 28x28 in 0.34 s on two threads against 0.42
# to 0.50 s on one, at 48x48 in about the same time, at 28x28 (no resize) in 0.24 to 0.27 s
# against 0.17 to 0.18 s (scripts/RESULTS.md, "What surrounds the step").
THREADED_PIXELS = 48 * 48


def _decoding_threads(paths):
    """One thread per CPU for images of `THREADED_PIXELS` or more (judged by the first
    file's header), else one (and for no files)."""
    if not paths:
        return 1
    try:
        with Image.open(paths[0]) as image:
            small = image.size[0] * image.size[1] < THREADED_PIXELS
    except UNREADABLE:
        small = False
    return 1 if small else os.cpu_count()


def load_images(paths, sample_shape, workers=None):
    """Decodes many image files, in parallel threads where that pays, skipping unreadable ones
    with a warning.

    Args:
        paths: image files.
        sample_shape: `(height, width, channels)` of the result.
        workers: decoding threads; defaults to one per CPU, or one for small images.

    Returns:
        `(images, kept)`: a uint8 array `[n, height, width, channels]` of the readable files in
        order, and their indices in `paths`.
    """
    workers = workers or _decoding_threads(paths)

    def decode(chunk):
        return [_try_load(path, sample_shape) for path in chunk]

    if workers == 1:
        results = decode(paths)
    else:
        # One contiguous chunk per thread: a task per image cost more in thread hand-offs than
        # the decoding of small images (2,000 sprites: 0.71 s against 0.62 s; scripts/RESULTS.md).
        size = max(1, -(-len(paths) // workers))
        chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            results = [result for part in pool.map(decode, chunks) for result in part]
    images, kept = [], []
    for i, (path, (pixels, error)) in enumerate(zip(paths, results)):
        if pixels is None:
            print(f"warning: skipping unreadable image {path} ({error})", file=sys.stderr)
        else:
            images.append(pixels)
            kept.append(i)
    skipped = len(paths) - len(images)
    if skipped:
        print(f"warning: skipped {skipped} of {len(paths)} images", file=sys.stderr)
    return np.stack(images) if images else np.zeros((0, *sample_shape), np.uint8), kept


def find_images(folder):
    """Lists the image files below `folder` (recursively, sorted) by their extension."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        found += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(IMAGE_EXTENSIONS)]
    return found


def load_image_folder(folder, sample_shape):
    """The images of `load_labelled_folder`: a uint8 array `[n, height, width, channels]`."""
    return load_labelled_folder(folder, sample_shape).values


def load_labelled_folder(folder, sample_shape):
    """Loads every readable image below `folder` at the preset's shape, through the cache of
    decoded data sets (`kgan.data.cache`) when no file is unreadable.

    The first level of subfolders names the classes: `folder/cat/a.png` is of class `cat`.
    When some image lies directly in `folder`, the data set has no labels.

    Returns:
        `Examples` of uint8 images `[n, height, width, channels]`.

    Raises:
        KganError: the folder does not exist or holds no readable image.
    """
    if not os.path.isdir(folder):
        raise KganError(f"image folder {folder} does not exist")
    root = os.path.abspath(folder)
    paths = find_images(root)

    def decode():
        images, kept = load_images(paths, sample_shape)
        if len(images) == 0:
            raise KganError(
                f"image folder {folder} holds no readable image ({', '.join(IMAGE_EXTENSIONS)})"
            )
        complete = len(kept) == len(paths)
        below = len(os.path.join(root, ""))  # each path's part below the folder starts here
        inner = [paths[i][below:] for i in kept]
        if any(os.sep not in name for name in inner):
            return Examples(images), complete
        return Examples.from_names(images, [name.split(os.sep, 1)[0] for name in inner]), complete

    return cached(root, sample_shape, files_fingerprint(paths), decode)
