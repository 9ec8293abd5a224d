"""The "vanilla" MLP GAN of the MNIST reference: fully connected networks on flattened images."""

import math

from keras import layers

from kgan.nets import init
from kgan.nets.conditional import discriminator_network, generator_network


def _dense(units, **kwargs):
    """A Dense layer with the DCGAN initialisation."""
    return layers.Dense(units, kernel_initializer=init.weights(), **kwargs)


def mlp_networks(latent_dim, sample_shape, num_classes=0, class_input="concat"):
    """Generator `latent -> 256 -> 512 -> 1024 -> pixels` with LeakyReLU(0.2) and tanh;
    discriminator `pixels -> 512 -> 256 -> 128 -> 1` with LeakyReLU(0.2) and Dropout(0.3).

    Args:
        latent_dim: the noise size (100 in the reference).
        sample_shape: the image shape, e.g. `(28, 28, 1)`.
        num_classes: conditioned on this many classes (0: unconditional).
        class_input: how a conditional generator takes its class (`kgan.nets.conditional`).

    Returns:
        `(generator, discriminator)`.
    """
    pixels = math.prod(sample_shape)
    generator = generator_network(
        latent_dim,
        [layer for units in (256, 512, 1024)
         for layer in (_dense(units), layers.LeakyReLU(0.2))]
        # The output layers run in float32, the reshape too: a layer in the mixed policy would
        # cast the images back to 16 bits.
        + [
            _dense(pixels, dtype="float32"),
            layers.Activation("tanh", dtype="float32"),
            layers.Reshape(tuple(sample_shape), dtype="float32"),
        ],
        num_classes, class_input,
    )
    discriminator = discriminator_network(
        sample_shape,
        [layers.Flatten()]
        + [layer for units in (512, 256, 128)
           for layer in (_dense(units), layers.LeakyReLU(0.2), layers.Dropout(0.3))],
        [_dense(1, dtype="float32")],
        num_classes,
    )
    return generator, discriminator
