"""Sliced Wasserstein distance, on points and on Laplacian-pyramid patches of images (Karras
et al. 2018). It needs no pretrained network, so it works offline."""

import numpy as np
from keras import ops

from kgan.errors import KganError

# The 5-tap binomial filter of the Laplacian pyramid.
_BINOMIAL = np.array([1, 4, 6, 4, 1], np.float32) / 16.0


def sliced_wasserstein(a, b, directions=512, repeats=4, seed=0):
    """The mean over random unit directions of the 1D Wasserstein-1 distance of the projections.

    Args:
        a: `[n, d]` samples.
        b: `[n, d]` samples (the same count as `a`).
        directions: random directions per repeat.
        repeats: independent direction sets; the result is their mean.
        seed: seeds the directions.

    Returns:
        The distance (0 for identical sets).
    """
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if len(a) != len(b):
        raise KganError(f"sliced_wasserstein needs equal sample counts, got {len(a)} and {len(b)}")
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(repeats):
        dirs = rng.standard_normal((a.shape[1], directions)).astype(np.float32)
        dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
        projected_a, projected_b = np.sort(a @ dirs, axis=0), np.sort(b @ dirs, axis=0)
        results.append(np.abs(projected_a - projected_b).mean())
    return float(np.mean(results))


def _blur(images):
    """Separable binomial blur with edge padding, `[n, h, w, c]` -> same shape."""
    channels = images.shape[-1]
    out = images
    for kernel_shape in ((5, 1), (1, 5)):
        kernel = np.tile(_BINOMIAL.reshape(*kernel_shape, 1, 1), (1, 1, channels, 1))
        pad = [(0, 0), (2, 2) if kernel_shape[0] == 5 else (0, 0),
               (2, 2) if kernel_shape[1] == 5 else (0, 0), (0, 0)]
        out = ops.depthwise_conv(ops.pad(out, pad, mode="reflect"), kernel, padding="valid")
    return out


def laplacian_pyramid(images, levels):
    """Splits `[n, h, w, c]` images into `levels` band-pass images, finest first; the last is
    the remaining low-pass image at `1 / 2^(levels - 1)` of the size."""
    current = ops.convert_to_tensor(np.asarray(images, np.float32))
    pyramid = []
    for _ in range(levels - 1):
        low = _blur(current)[:, ::2, ::2, :]
        up = ops.repeat(ops.repeat(low, 2, axis=1), 2, axis=2)
        pyramid.append(current - _blur(up))
        current = low
    pyramid.append(current)
    return [ops.convert_to_numpy(level) for level in pyramid]


def _patches(level, per_image, size, rng):
    """Random `size x size` patches of each image, flattened and normalised per channel."""
    n, h, w, _ = level.shape
    windows = np.lib.stride_tricks.sliding_window_view(level, (size, size), axis=(1, 2))
    images = np.repeat(np.arange(n), per_image)
    ys = rng.integers(0, h - size + 1, n * per_image)
    xs = rng.integers(0, w - size + 1, n * per_image)
    patches = windows[images, ys, xs]  # [n * per_image, c, size, size]
    patches = patches - patches.mean(axis=(0, 2, 3), keepdims=True)
    patches /= patches.std(axis=(0, 2, 3), keepdims=True) + 1e-8
    return patches.reshape(len(patches), -1)


def image_swd(real, fake, patches_per_image=64, patch_size=7, min_resolution=16, seed=0):
    """SWD between two image sets on 7x7 patches of each Laplacian-pyramid level.

    Levels run from the full resolution down to `min_resolution`; each level's patches are
    normalised per channel and compared with `sliced_wasserstein`. Values are reported x 1e3, as
    Karras et al. do.

    Args:
        real: `[n, h, w, c]` images in [-1, 1].
        fake: `[n, h, w, c]` images in [-1, 1] (the same count).
        patches_per_image: random patches drawn per image and level.
        patch_size: the patch side.
        min_resolution: the coarsest level's size.
        seed: seeds the patch positions and the projections.

    Returns:
        A dict `{"swd": mean over levels, "swd_<size>": per level}`.
    """
    size = np.asarray(real).shape[1]
    levels = max(1, int(np.log2(size / min_resolution)) + 1)
    results = {}
    real_levels, fake_levels = laplacian_pyramid(real, levels), laplacian_pyramid(fake, levels)
    for level, (r, f) in enumerate(zip(real_levels, fake_levels)):
        rng_r, rng_f = np.random.default_rng(seed + level), np.random.default_rng(seed + level)
        distance = sliced_wasserstein(_patches(r, patches_per_image, patch_size, rng_r),
                                      _patches(f, patches_per_image, patch_size, rng_f), seed=seed)
        results[f"swd_{size >> level}"] = distance * 1e3
    results["swd"] = float(np.mean(list(results.values())))
    return results
