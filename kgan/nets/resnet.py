"""Residual 64x64 networks after SNGAN (Miyato et al. 2018): a generator of upsampling residual
blocks and a spectrally normalised discriminator of downsampling ones.

A candidate for small data sets and small compute beside d2l's DCGAN: residual paths let the
gradient reach the early layers, and spectral normalisation bounds the discriminator's
Lipschitz constant without the batch statistics of BatchNorm. The channel widths are a quarter of
SNGAN's, to keep the CPU cost near the DCGAN's.
"""

import keras
from keras import layers

from kgan.errors import KganError
from kgan.nets import init
from kgan.nets.batchnorm import FusedBatchNormalization
from kgan.nets.conditional import discriminator_network, generator_network


def _conv(filters, kernel, spectral_norm):
    conv = layers.Conv2D(filters, kernel, padding="same", kernel_initializer=init.glorot())
    return layers.SpectralNormalization(conv) if spectral_norm else conv


@keras.saving.register_keras_serializable(package="kgan")
class ResidualBlock(layers.Layer):
    """Two 3x3 convolutions beside a 1x1 shortcut, with a change of resolution.

    `up` (generator): BatchNorm, ReLU, 2x nearest upsampling, conv, BatchNorm, ReLU, conv; the
    shortcut upsamples and projects. `down` (discriminator): ReLU, conv, ReLU, conv, 2x average
    pooling; the shortcut projects and pools. A `first` down block has no leading ReLU (its
    input is the image).

    Args:
        filters: output channels.
        resample: `up` or `down`.
        first: the discriminator's first block.
        spectral_norm: spectral normalisation of the three convolutions.
        **kwargs: `keras.layers.Layer`'s.
    """

    def __init__(self, filters, resample, first=False, spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.resample = filters, resample
        self.first, self.spectral_norm = first, spectral_norm
        up = resample == "up"
        self.norms = [FusedBatchNormalization(gamma_initializer=init.batchnorm_gamma())
                      for _ in range(2)] if up else []
        self.convs = [_conv(filters, 3, spectral_norm) for _ in range(2)]
        self.shortcut = _conv(filters, 1, spectral_norm)
        self.scale = layers.UpSampling2D(2) if up else layers.AveragePooling2D(2)

    def build(self, input_shape):
        """Builds the sublayers; only the channel counts matter to them."""
        inner = (*input_shape[:-1], self.filters)
        for norm, shape in zip(self.norms, (input_shape, inner)):
            norm.build(shape)
        self.convs[0].build(input_shape)
        self.convs[1].build(inner)
        self.shortcut.build(input_shape)

    def call(self, inputs, training=None):
        """The block's output: residual path plus shortcut."""
        if self.resample == "up":
            x = self.scale(keras.ops.relu(self.norms[0](inputs, training=training)))
            x = keras.ops.relu(self.norms[1](self.convs[0](x), training=training))
            return self.convs[1](x) + self.shortcut(self.scale(inputs))
        x = inputs if self.first else keras.ops.relu(inputs)
        x = self.convs[1](keras.ops.relu(self.convs[0](x)))
        return self.scale(x) + self.scale(self.shortcut(inputs))

    def compute_output_shape(self, input_shape):
        """Twice or half the height and width, `filters` channels."""
        batch, height, width, _ = input_shape
        factor = 2 if self.resample == "up" else 0.5
        return (batch, int(height * factor), int(width * factor), self.filters)

    def get_config(self):
        """The constructor's arguments."""
        return {**super().get_config(), "filters": self.filters, "resample": self.resample,
                "first": self.first, "spectral_norm": self.spectral_norm}


def resnet64_networks(latent_dim, sample_shape, width=16, num_classes=0, class_input="concat"):
    """A residual 64x64 generator and a spectrally normalised residual discriminator.

    Generator: Dense to 4x4 with `16 * width` channels, four `up` blocks to 64x64 with `16, 8,
    4, 2 * width` channels, BatchNorm, ReLU, a 3x3 convolution to the image and
    tanh. Discriminator: four `down` blocks from 64x64 to 4x4 (`2, 4, 8, 16 * width`
    channels), ReLU, global average pooling, one dense logit; every convolution and the logit
    spectrally normalised.

    Args:
        latent_dim: the noise size.
        sample_shape: `(64, 64, channels)`.
        width: the channel multiplier (SNGAN's 64x64 networks use 64).
        num_classes: conditioned on this many classes (0: unconditional).
        class_input: how a conditional generator takes its class (`kgan.nets.conditional`).

    Returns:
        `(generator, discriminator)`.
    """
    if tuple(sample_shape[:2]) != (64, 64):
        raise KganError(f"resnet64 makes 64x64 images, not {tuple(sample_shape)}")
    top = 16 * width
    generator = generator_network(
        latent_dim,
        [layers.Dense(4 * 4 * top, kernel_initializer=init.glorot()),
         layers.Reshape((4, 4, top))]
        + [ResidualBlock(top // 2**i, "up") for i in range(4)]  # [b, 64, 64, 2 * width]
        + [FusedBatchNormalization(gamma_initializer=init.batchnorm_gamma()), layers.ReLU(),
           layers.Conv2D(sample_shape[2], 3, padding="same", kernel_initializer=init.glorot(),
                         dtype="float32"),
           layers.Activation("tanh", dtype="float32")],
        num_classes, class_input,
    )
    discriminator = discriminator_network(
        sample_shape,
        [ResidualBlock(2 * width * 2**i, "down", first=i == 0, spectral_norm=True)
         for i in range(4)]  # [b, 4, 4, 16 * width]
        + [layers.ReLU(), layers.GlobalAveragePooling2D()],
        [layers.SpectralNormalization(layers.Dense(1, kernel_initializer=init.glorot(),
                                                   dtype="float32"), dtype="float32")],
        num_classes,
    )
    return generator, discriminator
