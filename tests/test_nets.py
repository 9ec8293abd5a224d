import keras
import numpy as np
import pytest

from kgan.errors import KganError
from kgan.nets import NETWORKS
from kgan.nets.resnet import ResidualBlock


@pytest.mark.parametrize(
    "family, latent_dim, sample_shape",
    [("dcgan64", 100, (64, 64, 3)), ("dcgan28", 100, (28, 28, 1)), ("mlp", 100, (28, 28, 1)),
     ("gaussian", 2, (2,))],
)
def test_shapes_and_config_round_trip(family, latent_dim, sample_shape):
    generator, discriminator = NETWORKS[family](latent_dim, sample_shape)
    z = np.zeros((2, latent_dim), np.float32)
    images = generator(z)
    assert tuple(images.shape) == (2, *sample_shape)
    assert tuple(discriminator(images).shape) == (2, 1)
    for network in (generator, discriminator):
        clone = keras.Sequential.from_config(network.get_config())
        assert clone.get_config() == network.get_config()


def test_dcgan64_matches_d2l_shapes():
    generator, discriminator = NETWORKS["dcgan64"](100, (64, 64, 3))
    convs = [layer for layer in generator.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert [tuple(layer.output.shape[1:]) for layer in convs] == [
        (4, 4, 512), (8, 8, 256), (16, 16, 128), (32, 32, 64), (64, 64, 3)]
    convs = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [tuple(layer.output.shape[1:]) for layer in convs] == [
        (32, 32, 64), (16, 16, 128), (8, 8, 256), (4, 4, 512), (1, 1, 1)]


def test_dcgan28_matches_the_reference_shapes():
    generator, _ = NETWORKS["dcgan28"](100, (28, 28, 1))
    sizes = [layer.output.shape[1] for layer in generator.layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert sizes == [4, 7, 14]


def test_dcgan_initialisation():
    keras.utils.set_random_seed(0)
    generator, discriminator = NETWORKS["dcgan64"](100, (64, 64, 3))
    convs = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    kernel = convs[1].kernel.numpy()  # Conv 64 -> 128
    assert abs(kernel.std() - 0.02) < 0.002 and abs(kernel.mean()) < 0.002
    gammas = np.concatenate([layer.gamma.numpy() for layer in generator.layers
                             if isinstance(layer, keras.layers.BatchNormalization)])
    assert abs(gammas.mean() - 1.0) < 0.005 and abs(gammas.std() - 0.02) < 0.005


def test_wrong_image_size_is_a_user_error():
    with pytest.raises(KganError, match="dcgan64 makes 64x64 images"):
        NETWORKS["dcgan64"](100, (28, 28, 1))
    with pytest.raises(KganError, match="resnet64 makes 64x64 images"):
        NETWORKS["resnet64"](100, (28, 28, 1))


def test_resnet64_blocks_resample_and_the_discriminator_is_spectrally_normalised(tmp_path):
    keras.utils.set_random_seed(0)
    generator, discriminator = NETWORKS["resnet64"](16, (64, 64, 3), width=4)
    blocks = [layer for layer in generator.layers if isinstance(layer, ResidualBlock)]
    assert [tuple(block.output.shape[1:]) for block in blocks] == [
        (8, 8, 64), (16, 16, 32), (32, 32, 16), (64, 64, 8)]
    blocks = [layer for layer in discriminator.layers if isinstance(layer, ResidualBlock)]
    assert [tuple(block.output.shape[1:]) for block in blocks] == [
        (32, 32, 8), (16, 16, 16), (8, 8, 32), (4, 4, 64)]
    assert all(block.spectral_norm for block in blocks)
    assert isinstance(discriminator.layers[-1], keras.layers.SpectralNormalization)
    images = generator(np.zeros((2, 16), np.float32))
    assert tuple(images.shape) == (2, 64, 64, 3) and tuple(discriminator(images).shape) == (2, 1)
    for network in (generator, discriminator):
        path = str(tmp_path / f"{network.name}.keras")
        network.save(path)
        loaded = keras.saving.load_model(path)
        clone = keras.Sequential.from_config(network.get_config())
        assert clone.get_config() == network.get_config()
        for a, b in zip(loaded.get_weights(), network.get_weights()):
            np.testing.assert_array_equal(a, b)
