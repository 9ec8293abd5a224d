"""Regularisers beside the losses: gradient penalties on the discriminator's input (WGAN-GP and
R1), and the generator's mode-seeking term (MSGAN).

The gradient penalties differentiate the discriminator with respect to its input, and the
mode-seeking term reads the generator's latent vectors as well as its samples, so they live
beside the training step's gradient tape rather than among the pure losses of logits.
"""

import tensorflow as tf
from keras import ops


def _per_example_norm_squared(gradients):
    return ops.sum(ops.square(ops.cast(gradients, "float32")),
                   axis=tuple(range(1, len(gradients.shape))))


def _input_gradients(discriminator, inputs):
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        # The gradient of the sum is each example's own gradient where a logit depends on its
        # example alone; a critic with BatchNorm (the DCGANs') adds the small influence of the
        # other examples through the batch statistics.
        total = ops.sum(ops.cast(discriminator(inputs, training=True), "float32"))
    return tape.gradient(total, inputs)


def gradient_penalty(discriminator, real, fake, mix):
    """WGAN-GP (Gulrajani et al. 2017): `mean((||grad D(x_hat)|| - 1)^2)` at random points
    `x_hat = real + mix * (fake - real)` on the lines between real and fake samples.

    Args:
        discriminator: the critic.
        real: a real batch `[b, ...]`.
        fake: a generated batch of the same shape.
        mix: interpolation weights `[b]` drawn uniformly from [0, 1].
    """
    mix = ops.reshape(ops.cast(mix, real.dtype), (-1,) + (1,) * (len(real.shape) - 1))
    points = real + mix * (ops.cast(fake, real.dtype) - real)
    norms = ops.sqrt(_per_example_norm_squared(_input_gradients(discriminator, points)) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def r1_penalty(discriminator, real):
    """R1 (Mescheder et al. 2018): `mean(||grad D(x)||^2)` on real data; multiply by gamma / 2."""
    return ops.mean(_per_example_norm_squared(_input_gradients(discriminator, real)))


def discriminator_penalties(discriminator, real, fake, step, mix, gp_weight=0.0, r1_gamma=0.0,
                            r1_every=1):
    """The penalties a discriminator update adds to its loss, as `GAN.compile` sets them.

    Args:
        discriminator: the critic, `samples, training -> logits` (labels already bound).
        real, fake: the update's batches.
        step: the discriminator's update count (lazy R1 runs when it divides by `r1_every`).
        mix: WGAN-GP's interpolation weights `[batch]`, uniform in [0, 1].
        gp_weight: WGAN-GP's weight (0: off).
        r1_gamma: R1's gamma (0: off), applied every `r1_every` updates, that many times as
            strong (lazy regularisation, Karras et al. 2020).
    """
    total = 0.0
    if gp_weight:
        total += gp_weight * gradient_penalty(discriminator, real, fake, mix)
    if r1_gamma:
        total += tf.cond(
            step % r1_every == 0,
            lambda: 0.5 * r1_gamma * r1_every * r1_penalty(discriminator, real),
            lambda: tf.constant(0.0),
        )
    return total


def mode_seeking_penalty(samples, z, labels=None, eps=1e-5):
    """The mode-seeking term of Mao et al. (2019, MSGAN): the inverse of how far apart two
    samples lie per unit of distance between their latent vectors, over every pair of samples
    in the batch (of one class, where `labels` are given). Minimising it pushes samples of
    different latent vectors apart, against a generator that maps them all to one image.

    Distances are root mean squares over the samples' and latent vectors' values, pairs
    from one matrix product each. A batch without a pair of one class gives 0.

    Args:
        samples: generated samples `[batch, ...]`.
        z: their latent vectors `[batch, latent_dim]`.
        labels: their classes `[batch]`, or `None`: every pair counts.
        eps: keeps the inverse finite for identical samples.

    Returns:
        `1 / (mean over pairs of distance(samples) / distance(z) + eps)`, a float32 scalar.
    """
    n = ops.shape(samples)[0]
    flat = ops.reshape(ops.cast(samples, "float32"), (n, -1))
    pairs = 1.0 - ops.eye(n)
    if labels is not None:
        pairs = pairs * ops.cast(ops.expand_dims(labels, 0) == ops.expand_dims(labels, 1),
                                 "float32")
    ratio = _rms_distances(flat) / _rms_distances(ops.cast(z, "float32"))
    count = ops.sum(pairs)
    mean_ratio = ops.sum(ratio * pairs) / ops.maximum(count, 1.0)
    return ops.where(count > 0, 1.0 / (mean_ratio + eps), 0.0)


def _rms_distances(rows):
    """`[n, n]` root-mean-square distances between the rows of `[n, d]`; the small constant
    keeps the square root differentiable on the diagonal."""
    squares = ops.sum(ops.square(rows), axis=1)
    squared = (ops.expand_dims(squares, 0) + ops.expand_dims(squares, 1)
               - 2.0 * ops.matmul(rows, ops.transpose(rows)))
    return ops.sqrt(ops.maximum(squared, 0.0) / ops.cast(ops.shape(rows)[1], "float32") + 1e-12)
