"""Latent walks: frames that turn one sample into another (`kgan interpolate`)."""

import tensorflow as tf

from kgan import inference
from kgan.errors import KganError
from kgan.gan import GAN
from kgan.latents import latent_batch, sample_labels, seed_latents, walk
from kgan.nets.conditional import CLASS_EMBEDDING, embedding_input_generator


def interpolate(generator, seeds=None, labels=None, frames=16, seed=0, label=None,
                truncation=1.0):
    """The frames of a latent walk, one of two kinds:

    - through `seeds` (at least two): from the sample of each seed (`generate(1, seed)`'s) to
      the next one's, along the great circle between their latent vectors (spherical
      interpolation suits Gaussian latents; see `kgan.latents.walk`). Every frame of a
      conditional generator is of class `label` (default 0).
    - between the classes `labels` (at least two; a conditional `kgan.GAN`): at the latent
      vector of `seed`, the class embedding moves in a straight line from one class's to the
      next one's, so the frames pass from one class to the other with the rest held fixed.

    Args:
        generator: a `kgan.GAN`, or an exported generator (`kgan.sampling.load_generator`).
        seeds: the seeds of a walk through latent space.
        labels: the classes of a walk between classes.
        frames: frames from one waypoint to the next, both included, at least 2; a walk
            through `k` waypoints has `(k - 1) * (frames - 1) + 1` frames.
        seed: the latent vector of a walk between classes.
        label: the class of a conditional generator's walk through seeds.
        truncation: psi in (0, 1], as in `GAN.generate`; the waypoints are the truncated
            samples of their seeds.

    Returns:
        A NumPy array `[frames in all, ...]`, the generator's raw output; the first and last
        frames are the samples of the first and last waypoint.

    Raises:
        KganError: both or neither of `seeds` and `labels`, fewer than two of them, fewer than
            two frames, a walk between classes of an unconditional or exported generator, or
            a truncation outside (0, 1].
    """
    if (seeds is None) == (labels is None):
        raise KganError("a walk goes through seeds or between labels: give one of the two")
    waypoints = list(seeds if labels is None else labels)
    if len(waypoints) < 2:
        raise KganError(f"a walk needs at least two waypoints, got {len(waypoints)}")
    if frames < 2:
        raise KganError(f"a walk needs at least 2 frames per leg, got {frames}")
    if labels is None:
        z = walk(seed_latents(waypoints, generator.latent_dim, truncation), frames)
        if generator.num_classes and label is None:
            label = 0
        return generator.from_latents(z, label)
    if not (isinstance(generator, GAN) and generator.conditional):
        raise KganError("a walk between labels needs a conditional generator from a run "
                        "directory or .keras file (an export takes labels, not embeddings)")
    return _between_classes(generator, waypoints, frames, seed, truncation)


def _between_classes(gan, labels, frames, seed, truncation):
    labels = sample_labels(len(labels), gan.num_classes, labels)
    generator = inference.sampling_generator(gan)
    table = generator.get_layer(CLASS_EMBEDDING).embeddings
    embedded = walk(tf.gather(tf.cast(table, tf.float32), labels), frames, spherical=False)
    z = tf.repeat(latent_batch(1, gan.latent_dim, seed, truncation), len(embedded), axis=0)
    network = embedding_input_generator(generator)
    return inference.run_in_batches(lambda rows: network(rows, training=False), [z, embedded])
