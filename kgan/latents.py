"""kgan's rules from a seed to latent vectors and from a request to labels.

One seed gives the same latent vectors on every path: `GAN.generate`, the sample grids, `kgan
sample` (from a run, a `.keras` file or an export), the export's `sample` signature (which runs
`latent_batch` in its graph) and `scripts/serving_client.py`.
"""

import numpy as np
import tensorflow as tf

from kgan.errors import KganError

# A conditional sample grid shows at most this many classes, one per row.
MAX_GRID_ROWS = 10


def latent_batch(n, latent_dim, seed=None):
    """The latent batch of a seed: kgan's one rule for turning a seed into latent vectors.

    `tf.random.stateless_normal([n, latent_dim], seed=[seed, 0])`, float32. `GAN.generate`, the
    sample grids, `kgan sample` (from a run, a `.keras` file or an export), the export's `sample`
    signature (which runs this function in its graph) and `scripts/serving_client.py` all draw
    with it, so one seed gives the same images on every path. The first `k` vectors of a batch
    depend on `n`, so draw the whole batch at once.

    Args:
        n: how many vectors (a Python int or an int32 scalar tensor).
        latent_dim: their size.
        seed: an integer (or int64 scalar tensor); `None` draws one at random.

    Returns:
        A float32 tensor `[n, latent_dim]`.
    """
    if seed is None:
        seed = np.random.randint(2**31 - 1)
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    return tf.random.stateless_normal(tf.stack([n, latent_dim]), seed=seed)


def label_batch(n, num_classes, label=-1):
    """The labels of a sample batch: `n` times class `label`, or with `label = -1` the classes
    in turn (`0, 1, ..., num_classes - 1, 0, 1, ...`). Graph-friendly: the export's `sample`
    signature runs it.

    Returns:
        An int32 tensor `[n]`.
    """
    label = tf.cast(label, tf.int32)
    in_turn = tf.range(n, dtype=tf.int32) % num_classes
    return tf.where(tf.equal(label, -1), in_turn, tf.fill(tf.reshape(n, [1]), label))


def sample_labels(n, num_classes, labels=None):
    """The labels for `n` samples of a conditional generator, checked.

    Args:
        n: how many samples.
        num_classes: the generator's classes.
        labels: `None` (the classes in turn), one class for all, or `n` classes.

    Returns:
        An int32 array `[n]`.

    Raises:
        KganError: a label outside `[0, num_classes)` or the wrong number of labels.
    """
    if labels is None:
        return label_batch(n, num_classes).numpy()
    labels = np.full(n, labels, np.int32) if np.ndim(labels) == 0 else np.asarray(labels, np.int32)
    if labels.shape != (n,):
        raise KganError(f"{n} samples need {n} labels, got shape {labels.shape}")
    outside = labels[(labels < 0) | (labels >= num_classes)]
    if outside.size:
        raise KganError(f"label {outside[0]} is outside [0, {num_classes})")
    return labels


def grid_inputs(latent_dim, num_classes, columns, seed):
    """The latent vectors and labels of a conditional image grid: one row per class (at most
    `MAX_GRID_ROWS`, spread evenly over the classes), and the same `columns` latent vectors
    in every row, so that down a column only the label changes.

    Returns:
        `(z, labels)`: `[rows * columns, latent_dim]` float32 and `[rows * columns]` int32.
    """
    rows = np.unique(np.linspace(0, num_classes - 1, min(num_classes, MAX_GRID_ROWS)).round())
    z = latent_batch(columns, latent_dim, seed).numpy()
    return np.tile(z, (len(rows), 1)), np.repeat(rows.astype(np.int32), columns)
