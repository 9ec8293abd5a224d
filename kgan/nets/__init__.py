"""Network builders. Each family is a function
`(latent_dim, sample_shape, ..., num_classes=0) -> (generator, discriminator)`; see
`conditional`."""

from kgan.nets.dcgan import dcgan28_networks, dcgan64_networks
from kgan.nets.gaussian import gaussian_networks
from kgan.nets.mlp import mlp_networks
from kgan.nets.resnet import resnet64_networks

NETWORKS = {
    "gaussian": gaussian_networks,
    "dcgan64": dcgan64_networks,
    "resnet64": resnet64_networks,
    "dcgan28": dcgan28_networks,
    "mlp": mlp_networks,
}
