"""DCGAN networks: the 64x64 pair of d2l 17.2 and the 28x28 pair of the MNIST reference.

PyTorch's `ConvTranspose2d(k=4, s=2, p=1)` and `Conv2d(k=4, s=2, p=1)` double and halve the size
exactly as Keras' `padding="same"` with stride 2 does, so the shapes match the references. The
last convolution of each network computes in float32 under mixed precision: with them in bfloat16
the Pokemon samples scored worse (scripts/RESULTS.md, "The training step"). BatchNorm is
`FusedBatchNormalization`: Keras' layer, trained with TensorFlow's fused kernel.
"""

from keras import layers

from kgan.errors import KganError
from kgan.nets import init
from kgan.nets.batchnorm import FusedBatchNormalization
from kgan.nets.conditional import discriminator_network, generator_network


def _batchnorm():
    return FusedBatchNormalization(gamma_initializer=init.batchnorm_gamma())


def _up(filters, kernel=4, strides=2, padding="same", crop=0):
    """ConvTranspose + BatchNorm + ReLU: the generator block.

    `crop` trims the transposed convolution's output on every side, as PyTorch's `padding`
    argument of `ConvTranspose2d` does.
    """
    conv = layers.Conv2DTranspose(filters, kernel, strides, padding=padding, use_bias=False,
                                  kernel_initializer=init.weights())
    return [conv] + ([layers.Cropping2D(crop)] if crop else []) + [_batchnorm(), layers.ReLU()]


def _down(filters, kernel=4, batchnorm=True):
    """Conv (stride 2) + BatchNorm + LeakyReLU(0.2): the discriminator block."""
    block = [layers.Conv2D(filters, kernel, 2, padding="same", use_bias=False,
                           kernel_initializer=init.weights())]
    return block + ([_batchnorm()] if batchnorm else []) + [layers.LeakyReLU(0.2)]


def _image_output(channels):
    """ConvT(4, 2, 1) to the image's channels, then tanh, both in float32."""
    return [
        layers.Conv2DTranspose(channels, 4, 2, padding="same", use_bias=False,
                               kernel_initializer=init.weights(), dtype="float32"),
        layers.Activation("tanh", dtype="float32"),
    ]


def _logit(kernel):
    """A `kernel`-sized valid convolution to one logit per image, `[batch, 1]`, in float32."""
    return [
        layers.Conv2D(1, kernel, padding="valid", use_bias=False, kernel_initializer=init.weights(),
                      dtype="float32"),
        layers.Flatten(dtype="float32"),
    ]


def _check_shape(sample_shape, size, family):
    if tuple(sample_shape[:2]) != (size, size) or sample_shape[2] not in (1, 3):
        raise KganError(f"{family} makes {size}x{size} images with 1 or 3 channels, "
                         f"not {tuple(sample_shape)}")


def dcgan64_networks(latent_dim, sample_shape, width=64, num_classes=0, class_input="concat"):
    """The 64x64 DCGAN of d2l 17.2.

    Generator: `[batch, latent]` -> 1x1 -> ConvT(4, 1, 0) to 4x4 with `8 * width` channels,
    three ConvT(4, 2, 1) blocks to 32x32 (`4, 2, 1 * width`), then ConvT to 64x64 and tanh.
    Discriminator: four Conv(4, 2, 1) + BatchNorm + LeakyReLU blocks (`1, 2, 4, 8 * width`
    channels) from 64x64 to 4x4, then Conv(4) to one logit.

    Args:
        latent_dim: the noise size (100 in d2l).
        sample_shape: `(64, 64, channels)`.
        width: the channel multiplier (64 in d2l).
        num_classes: conditioned on this many classes (0: unconditional); see
            `kgan.nets.conditional`.
        class_input: how a conditional generator takes its class (`kgan.nets.conditional`).

    Returns:
        `(generator, discriminator)`.
    """
    _check_shape(sample_shape, 64, "dcgan64")
    generator = generator_network(
        latent_dim,
        [layers.Reshape((1, 1, -1))]
        + _up(8 * width, strides=1, padding="valid")  # [b, 4, 4, 512]
        + _up(4 * width)  # [b, 8, 8, 256]
        + _up(2 * width)  # [b, 16, 16, 128]
        + _up(width)  # [b, 32, 32, 64]
        + _image_output(sample_shape[2]),  # [b, 64, 64, C]
        num_classes, class_input,
    )
    discriminator = discriminator_network(
        sample_shape,
        _down(width)  # [b, 32, 32, 64]
        + _down(2 * width)  # [b, 16, 16, 128]
        + _down(4 * width)  # [b, 8, 8, 256]
        + _down(8 * width),  # [b, 4, 4, 512]
        _logit(4),  # [b, 1]
        num_classes,
    )
    return generator, discriminator


def dcgan28_networks(latent_dim, sample_shape, width=32, num_classes=0, class_input="concat"):
    """The 28x28 DCGAN of the MNIST reference (ngf = ndf = 32).

    Generator: ConvT(4, 1, 0) 1 -> 4, ConvT(3, 2, 1) 4 -> 7, ConvT(4, 2, 1) 7 -> 14 and
    ConvT(4, 2, 1) 14 -> 28 with tanh; `4, 2, 1 * width` channels on the way. Discriminator:
    the mirror image, Conv(4, 2, 1) 28 -> 14 (no BatchNorm on the input block), 14 -> 7,
    Conv(3, 2, 1) 7 -> 4, then Conv(4) to one logit.

    Args:
        latent_dim: the noise size (100 in the reference).
        sample_shape: `(28, 28, channels)`.
        width: ngf = ndf.
        num_classes: conditioned on this many classes (0: unconditional).
        class_input: how a conditional generator takes its class (`kgan.nets.conditional`).

    Returns:
        `(generator, discriminator)`.
    """
    _check_shape(sample_shape, 28, "dcgan28")
    generator = generator_network(
        latent_dim,
        [layers.Reshape((1, 1, -1))]
        + _up(4 * width, strides=1, padding="valid")  # [b, 4, 4, 128]
        # PyTorch's ConvT(3, 2, padding=1) is the full 9x9 output cropped by 1 on each side.
        + _up(2 * width, kernel=3, padding="valid", crop=1)  # [b, 7, 7, 64]
        + _up(width)  # [b, 14, 14, 32]
        + _image_output(sample_shape[2]),  # [b, 28, 28, C]
        num_classes, class_input,
    )
    discriminator = discriminator_network(
        sample_shape,
        _down(width, batchnorm=False)  # [b, 14, 14, 32]
        + _down(2 * width)  # [b, 7, 7, 64]
        + _down(4 * width, kernel=3),  # [b, 4, 4, 128]
        _logit(4),  # [b, 1]
        num_classes,
    )
    return generator, discriminator
