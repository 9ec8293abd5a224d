"""Sampling from a trained `kgan.GAN`: which weights, which BatchNorm statistics, and `generate`.

BatchNorm's moving averages suit neither weights a sampler uses: they lag the trained weights by
about `1 / (1 - momentum)` steps (100 for Keras' 0.99), and they were never computed for the
EMA weights at all. So samples use standing statistics (Brock et al. 2019): the mean and
variance of each BatchNorm layer's inputs over `STANDING_SAMPLES` generated samples of a fixed
noise batch, run through the sampled weights in training mode (scripts/RESULTS.md, "The Pokemon
recipe": what it changed). Grids, evaluation, `kgan sample` and exports all sample through
`sampling_generator`.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgan.errors import KganError
from kgan.latents import label_batch, latent_batch, sample_labels

# Standing BatchNorm statistics average this many samples' batch statistics, this many at a time.
# One batch of 512 took 0.08 s for the DCGAN-28 and 0.41 s for the DCGAN-64 where four of 128
# took 0.12 s and 0.5 to 0.6 s (scripts/RESULTS.md, "What surrounds the step"); a smaller batch
# bounds the memory of larger generators.
STANDING_SAMPLES = 512
STANDING_BATCH = STANDING_SAMPLES


def sampling_generator(gan, raw=False):
    """The generator to sample `gan` with: the EMA weights when there are any (`Adam(use_ema=
    True, ...)` as `g_optimizer`) unless `raw`, with standing BatchNorm statistics.

    A generator without BatchNorm or EMA is returned itself; otherwise a fresh copy is made on
    each call (the weights move with every step), and the live generator is left as it is.
    """
    optimizer = None if raw or not gan.compiled else _ema_optimizer(gan)
    # Keras starts the averages at zero and sets them to the weights at the first step.
    averaged = optimizer is not None and gan.step > 0
    if not averaged and not _batchnorm_layers(gan.generator):
        return gan.generator
    # In the strategy's scope: under MirroredStrategy the optimizer writes every replica's copy.
    with gan.distribute_strategy.scope():
        copy = keras.models.clone_model(gan.generator)
    copy.set_weights(gan.generator.get_weights())
    if averaged:
        # Public API: writes the averages into the given variables, in the order the optimizer
        # was built with (the generator's trainable variables, which the copy's mirror).
        optimizer.finalize_variable_values(copy.trainable_variables)
    _standing_statistics(copy, standing_inputs(gan))
    return copy


def standing_inputs(gan):
    """The generator inputs of the standing statistics, `STANDING_BATCH` samples each: noise
    fixed by the seed, apart from the training noise (folded with the replica) and from
    `latent_batch`'s `[seed, 0]`, so the statistics never come from the very vectors a sample
    grid shows; a conditional generator's classes in turn."""
    z = tf.random.stateless_normal((STANDING_SAMPLES, gan.latent_dim),
                                   seed=tf.constant([gan.seed, -1], tf.int64))
    labels = label_batch(STANDING_SAMPLES, gan.num_classes) if gan.conditional else None
    parts = [slice(i, i + STANDING_BATCH) for i in range(0, STANDING_SAMPLES, STANDING_BATCH)]
    return [[z[part], labels[part]] if gan.conditional else z[part] for part in parts]


def generate(gan, n, seed=None, labels=None, batch_size=256, raw=False, truncation=1.0):
    """`GAN.generate`: `n` samples of `gan` from `latent_batch(n, latent_dim, seed,
    truncation)`, with its `sampling_generator`; see there."""
    z = latent_batch(n, gan.latent_dim, seed, truncation)
    return from_latents(gan, z, labels, batch_size, raw)


def from_latents(gan, z, labels=None, batch_size=256, raw=False):
    """`GAN.from_latents`: the samples of `gan`'s `sampling_generator` for latent vectors `z`
    (`[n, latent_dim]`) and, for a conditional GAN, `labels` as `sample_labels` takes them."""
    if gan.conditional:
        labels = ops.convert_to_tensor(sample_labels(len(z), gan.num_classes, labels))
    elif labels is not None:
        raise KganError("this GAN is unconditional: it takes no labels")
    generator = sampling_generator(gan, raw)
    inputs = [z, labels] if gan.conditional else [z]
    return run_in_batches(lambda rows: generator(rows if gan.conditional else rows[0],
                                                 training=False), inputs, batch_size)


def run_in_batches(network, inputs, batch_size=256):
    """`network(rows)` on `batch_size` rows of `inputs` (a list of arrays, one row per
    sample) at a time, the outputs joined into one NumPy array. Direct calls, not predict():
    under a multi-worker strategy predict() would wait for the other workers."""
    return np.concatenate([
        ops.convert_to_numpy(network([x[i : i + batch_size] for x in inputs]))
        for i in range(0, len(inputs[0]), batch_size)
    ])


def _ema_optimizer(gan):
    """The generator's optimizer when it keeps moving averages of the weights (`use_ema`), else
    `None`; a `LossScaleOptimizer` keeps them in its inner optimizer."""
    optimizer = getattr(gan.g_optimizer, "inner_optimizer", gan.g_optimizer)
    return optimizer if getattr(optimizer, "use_ema", False) else None


def _batchnorm_layers(network):
    """Every BatchNormalization layer of `network`, nested ones included (Keras has no public
    recursive walk; `_flatten_layers` is what `Model.summary` uses)."""
    return [layer for layer in network._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.BatchNormalization)]


def _standing_statistics(generator, batches):
    """Sets `generator`'s BatchNorm moving averages to the mean of its batch statistics over
    `batches` of inputs, computed in training mode (whose only lasting effect is on those
    averages)."""
    layers = _batchnorm_layers(generator)
    settings = [(layer.momentum, layer.synchronized) for layer in layers]
    # Local statistics: this runs outside any replica context.
    for layer in layers:
        layer.synchronized = False
    for k, inputs in enumerate(batches):
        for layer in layers:
            layer.momentum = k / (k + 1)  # the running mean of k + 1 batches
        generator(inputs, training=True)
    for layer, (momentum, synchronized) in zip(layers, settings):
        layer.momentum, layer.synchronized = momentum, synchronized
