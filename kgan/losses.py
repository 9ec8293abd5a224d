"""GAN losses as pure functions of the discriminator's logits.

Every function takes logits of shape `[batch, 1]` (or `[batch]`) and returns a scalar: the mean over
the batch. Logits are cast to float32 first so that the losses stay exact under mixed precision.
`softplus` gives the log-sigmoid terms without overflow: `-log(sigmoid(x)) = softplus(-x)` and
`-log(1 - sigmoid(x)) = softplus(x)`.
"""

from keras import ops

from kgan.errors import lookup


def _f32(logits):
    return ops.cast(logits, "float32")


def minimax_discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy with real labelled 1 and fake labelled 0, averaged over both halves.

    Args:
        real_logits: the discriminator's logits on a real batch.
        fake_logits: its logits on a generated batch.

    Returns:
        `(mean(-log D(x)) + mean(-log(1 - D(G(z))))) / 2`.
    """
    real_term = ops.mean(ops.softplus(-_f32(real_logits)))
    fake_term = ops.mean(ops.softplus(_f32(fake_logits)))
    return (real_term + fake_term) / 2.0


def minimax_generator_loss(fake_logits):
    """The original generator loss of Goodfellow et al. (2014): `mean(log(1 - D(G(z))))`.

    It saturates (its gradient vanishes) while the discriminator rejects the fakes confidently,
    which is why `nonsaturating` is the default.
    """
    return -ops.mean(ops.softplus(_f32(fake_logits)))


def nonsaturating_generator_loss(fake_logits):
    """The non-saturating generator loss `mean(-log D(G(z)))`: strong gradients early in training."""
    return ops.mean(ops.softplus(-_f32(fake_logits)))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """The WGAN critic loss `mean(D(G(z))) - mean(D(x))` (Arjovsky et al. 2017); pair it with a
    gradient penalty (Gulrajani et al. 2017) to keep the critic 1-Lipschitz."""
    return ops.mean(_f32(fake_logits)) - ops.mean(_f32(real_logits))


def wasserstein_generator_loss(fake_logits):
    """The WGAN generator loss `-mean(D(G(z)))`."""
    return -ops.mean(_f32(fake_logits))


def hinge_discriminator_loss(real_logits, fake_logits):
    """The hinge loss `mean(relu(1 - D(x))) + mean(relu(1 + D(G(z))))` (Lim & Ye 2017; Miyato
    et al. 2018)."""
    return ops.mean(ops.relu(1.0 - _f32(real_logits))) + ops.mean(ops.relu(1.0 + _f32(fake_logits)))


def lsgan_discriminator_loss(real_logits, fake_logits):
    """Least squares (Mao et al. 2017): `(mean((D(x) - 1)^2) + mean(D(G(z))^2)) / 2`."""
    return (ops.mean(ops.square(_f32(real_logits) - 1.0)) + ops.mean(ops.square(_f32(fake_logits)))) / 2.0


def lsgan_generator_loss(fake_logits):
    """Least squares generator loss `mean((D(G(z)) - 1)^2) / 2`."""
    return ops.mean(ops.square(_f32(fake_logits) - 1.0)) / 2.0


# name -> (generator_loss(fake_logits), discriminator_loss(real_logits, fake_logits))
LOSSES = {
    "nonsaturating": (nonsaturating_generator_loss, minimax_discriminator_loss),
    "minimax": (minimax_generator_loss, minimax_discriminator_loss),
    "wasserstein": (wasserstein_generator_loss, wasserstein_discriminator_loss),
    # The hinge generator loss is the Wasserstein one.
    "hinge": (wasserstein_generator_loss, hinge_discriminator_loss),
    "lsgan": (lsgan_generator_loss, lsgan_discriminator_loss),
}


def get(name):
    """Returns `(generator_loss, discriminator_loss)` for a registered loss name.

    Raises:
        KganError: the name is not registered.
    """
    return lookup(LOSSES, name, "loss")
