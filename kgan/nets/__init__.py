"""Network builders. Each family is a function `(latent_dim, sample_shape) -> (generator, discriminator)`."""

from kgan.nets.gaussian import gaussian_networks

NETWORKS = {
    "gaussian": gaussian_networks,
}
