"""The 2D Gaussian GAN of d2l 17.1: a linear generator and a small tanh MLP discriminator."""

from keras import layers

from kgan.nets import init
from kgan.nets.conditional import discriminator_network, generator_network


def gaussian_networks(latent_dim, sample_shape, hidden=(32, 32), num_classes=0,
                      class_input="concat"):
    """Builds the linear generator `Dense(dim)` and a tanh MLP discriminator.

    A linear map of Gaussian noise is itself Gaussian, so the generator can match `X @ A + b`
    exactly; conditioned on a class, it adds a learned offset per class, so it matches a mixture
    of Gaussians of one shape exactly. The reference discriminator is `5 tanh -> 3 tanh -> 1`
    (`hidden=(5, 3)`); the default 32-32 tells the covariance apart more sharply, which makes the fit reliable across seeds.

    Args:
        latent_dim: the noise size (2 in the reference).
        sample_shape: `(dim,)`, the data dimension.
        hidden: the discriminator's hidden widths.
        num_classes: conditioned on this many classes (0: unconditional).
        class_input: how a conditional generator takes its class (`kgan.nets.conditional`).

    Returns:
        `(generator, discriminator)`, two built Keras models; weights N(0, 0.02).
    """
    generator = generator_network(
        latent_dim, [layers.Dense(sample_shape[-1], kernel_initializer=init.weights())],
        num_classes, class_input)
    discriminator = discriminator_network(
        sample_shape,
        [layers.Dense(width, activation="tanh", kernel_initializer=init.weights())
         for width in hidden],
        [layers.Dense(1, kernel_initializer=init.weights())],
        num_classes,
    )
    return generator, discriminator
