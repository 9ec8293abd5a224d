"""The 2D Gaussian GAN of d2l 17.1: a linear generator and a small tanh MLP discriminator."""

import keras
from keras import layers

from kgan.nets import init


def gaussian_networks(latent_dim, sample_shape, hidden=(32, 32)):
    """Builds the linear generator `Dense(dim)` and a tanh MLP discriminator.

    A linear map of Gaussian noise is itself Gaussian, so the generator can match `X @ A + b`
    exactly. The reference discriminator is `5 tanh -> 3 tanh -> 1` (`hidden=(5, 3)`); the default
    32-32 tells the covariance apart more sharply, which makes the fit reliable across seeds.

    Args:
        latent_dim: the noise size (2 in the reference).
        sample_shape: `(dim,)`, the data dimension.
        hidden: the discriminator's hidden widths.

    Returns:
        `(generator, discriminator)`, two built `keras.Sequential` models; weights N(0, 0.02).
    """
    generator = keras.Sequential(
        [keras.Input((latent_dim,)),
         layers.Dense(sample_shape[-1], kernel_initializer=init.weights())],
        name="generator",
    )
    discriminator = keras.Sequential(
        [keras.Input(tuple(sample_shape))]
        + [layers.Dense(width, activation="tanh", kernel_initializer=init.weights())
           for width in hidden]
        + [layers.Dense(1, kernel_initializer=init.weights())],
        name="discriminator",
    )
    return generator, discriminator
