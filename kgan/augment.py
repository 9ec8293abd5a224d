"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) of discriminator inputs.

The same random transformations are applied to real and generated batches before the
discriminator, in both updates, and gradients flow through them to the generator. This keeps
the discriminator from memorising a small data set. Every transformation draws its parameters
per example from a stateless seed, so a resumed run augments exactly as before.
"""

import tensorflow as tf
from keras import ops

from kgan.errors import parse_names


def _uniform(seed, shape, salt):
    return tf.random.stateless_uniform(shape, tf.random.experimental.stateless_fold_in(seed, salt))


def color(images, seed):
    """Random brightness (+-0.5), saturation (x0-2) and contrast (x0.5-1.5) per image."""
    batch = ops.shape(images)[:1]
    shape = tf.concat([batch, [1, 1, 1]], 0)
    images = images + (_uniform(seed, shape, 0) - 0.5)
    gray = ops.mean(images, axis=-1, keepdims=True)
    images = (images - gray) * (_uniform(seed, shape, 1) * 2.0) + gray
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    return (images - mean) * (_uniform(seed, shape, 2) + 0.5) + mean


def translation(images, seed, ratio=0.125):
    """Random shifts by up to `ratio` of the size, padding with zeros."""
    _, height, width, _ = images.shape
    batch = ops.shape(images)[:1]
    pad_y, pad_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    shift_y = tf.cast(tf.floor(_uniform(seed, batch, 3) * (2 * pad_y + 1)), tf.int32) - pad_y
    shift_x = tf.cast(tf.floor(_uniform(seed, batch, 4) * (2 * pad_x + 1)), tf.int32) - pad_x
    padded = tf.pad(images, [[0, 0], [pad_y, pad_y], [pad_x, pad_x], [0, 0]])
    rows = tf.range(height)[None, :] + pad_y - shift_y[:, None]  # [b, h]
    cols = tf.range(width)[None, :] + pad_x - shift_x[:, None]  # [b, w]
    images = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(images, cols, axis=2, batch_dims=1)


def cutout(images, seed, ratio=0.5):
    """Zeroes one random square of `ratio` times the size per image."""
    _, height, width, _ = images.shape
    batch = ops.shape(images)[:1]
    center_y = _uniform(seed, batch, 5) * height
    center_x = _uniform(seed, batch, 6) * width
    inside_y = tf.abs(tf.range(height, dtype=tf.float32)[None, :] - center_y[:, None]) < height * ratio / 2
    inside_x = tf.abs(tf.range(width, dtype=tf.float32)[None, :] - center_x[:, None]) < width * ratio / 2
    hole = tf.logical_and(inside_y[:, :, None], inside_x[:, None, :])[..., None]  # [b, h, w, 1]
    return images * (1.0 - tf.cast(hole, images.dtype))


TRANSFORMS = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy):
    """Splits `color,translation,cutout` into a tuple of transformation names (checked)."""
    return parse_names(policy, TRANSFORMS, "augmentation")


def diff_augment(images, policy, seed):
    """Applies the policy's transformations in order, then clips to the image range [-1, 1].

    Args:
        images: `[b, h, w, c]` in [-1, 1].
        policy: transformation names, e.g. `("color", "translation", "cutout")`.
        seed: a stateless seed `[2]`; each transformation folds in its own salt.
    """
    images = ops.cast(images, "float32")
    for name in policy:
        images = TRANSFORMS[name](images, seed)
    return ops.clip(images, -1.0, 1.0)
