"""kgan's rules from a seed to latent vectors, from a request to labels, and between them.

One seed gives the same latent vectors on every path: `GAN.generate`, the sample grids, `kgan
sample` and `kgan interpolate` (from a run, a `.keras` file or an export), the export's `sample`
and `interpolate` signatures (which run these functions in their graphs) and
`scripts/serving_client.py`.
"""

import numpy as np
import tensorflow as tf

from kgan.errors import KganError

# A conditional sample grid shows at most this many classes, one per row.
MAX_GRID_ROWS = 10


def latent_batch(n, latent_dim, seed=None, truncation=1.0):
    """The latent batch of a seed: kgan's one rule for turning a seed into latent vectors.

    `truncation * tf.random.stateless_normal([n, latent_dim], seed=[seed, 0])`, float32.
    `GAN.generate`, the sample grids, `kgan sample` (from a run, a `.keras` file or an export),
    the export's signatures (which run this function in their graphs) and
    `scripts/serving_client.py` all draw with it, so one seed gives the same images on every
    path. The first `k` vectors of a batch depend on `n`, so draw the whole batch at once.

    Args:
        n: how many vectors (a Python int or an int32 scalar tensor).
        latent_dim: their size.
        seed: an integer (or int64 scalar tensor); `None` draws one at random.
        truncation: the truncation trick's psi in (0, 1] (a float or float32 scalar tensor):
            the vectors are pulled towards the latent mean, zero, by this factor, trading the
            samples' variety for typical ones (Karras et al. 2019 apply the same pull to
            StyleGAN's w). 1 leaves them untouched, bit for bit.

    Returns:
        A float32 tensor `[n, latent_dim]`.

    Raises:
        KganError: a Python `truncation` outside (0, 1].
    """
    if seed is None:
        seed = np.random.randint(2**31 - 1)
    if isinstance(truncation, (int, float)):
        check_truncation(truncation)
    seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    z = tf.random.stateless_normal(tf.stack([n, latent_dim]), seed=seed)
    return z * tf.cast(truncation, tf.float32)


def check_truncation(truncation):
    """Raises `KganError` unless `0 < truncation <= 1`."""
    if not 0 < truncation <= 1:
        raise KganError(f"truncation must lie in (0, 1], got {truncation}")


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


def seed_latents(seeds, latent_dim, truncation=1.0):
    """One latent vector per seed: each the one sample `latent_batch(1, latent_dim, seed)`
    draws, so the vector of a seed makes the image `kgan sample -n 1 --seed SEED` shows.

    Returns:
        A float32 tensor `[len(seeds), latent_dim]`.
    """
    return tf.concat([latent_batch(1, latent_dim, seed, truncation) for seed in seeds], axis=0)


def walk(points, frames, spherical=True):
    """A walk through `points` (`[k, dim]`, k >= 2): `frames` steps from each point to the next,
    both ends included, the shared ends counted once, so `(k - 1) * (frames - 1) + 1` in all.
    Graph-friendly: the export's `interpolate` signature runs it.

    Args:
        points: the waypoints, a float32 tensor.
        frames: steps per leg, at least 2 (a Python int or int32 scalar tensor).
        spherical: spherical interpolation (`slerp`), which keeps Gaussian latent vectors at
            the norm the generator was trained on, where a straight line would pass through
            the low-norm middle (White 2016); `False` for a straight line (class embeddings).

    Returns:
        A float32 tensor: the first and last rows are exactly the first and last points.
    """
    # i / (frames - 1) is exactly 0 and 1 at the ends, so the ends are the waypoints themselves.
    t = tf.range(frames, dtype=tf.float32) / tf.cast(frames - 1, tf.float32)
    step = slerp if spherical else lerp
    legs = [step(points[i], points[i + 1], t) for i in range(points.shape[0] - 1)]
    return tf.concat([legs[0]] + [leg[1:] for leg in legs[1:]], axis=0)


def lerp(a, b, t):
    """The straight line from vector `a` to `b` at fractions `t` (`[frames]`): `[frames, dim]`."""
    t = t[:, None]
    return (1.0 - t) * a + t * b


def slerp(a, b, t):
    """Spherical interpolation from vector `a` to `b` at fractions `t` (`[frames]`): along the
    great circle between their directions, the norm moving linearly with the angle's weights;
    the straight line where the two directions (nearly) coincide. Returns `[frames, dim]`."""
    cosine = tf.reduce_sum(a * b) / (tf.norm(a) * tf.norm(b))
    angle = tf.acos(tf.clip_by_value(cosine, -1.0, 1.0))
    sine = tf.sin(angle)
    t = t[:, None]
    # The weights first: sin(angle) / sin(angle) is exactly 1 and sin(0) exactly 0, so t = 0
    # gives `a` itself and t = 1 gives `b`.
    curve = tf.sin((1.0 - t) * angle) / sine * a + tf.sin(t * angle) / sine * b
    return tf.where(sine < 1e-6, lerp(a, b, t[:, 0]), curve)
