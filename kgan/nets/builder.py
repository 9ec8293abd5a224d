"""From a preset to a compiled `kgan.GAN`: networks, precision, optimizers and compile options.

Presets (`kgan.presets`) are data; this module turns one into a model.
"""

import keras
import tensorflow as tf

from kgan import optimizers, precision
from kgan.errors import KganError
from kgan.gan import GAN
from kgan.nets import NETWORKS


def build_gan(preset, seed, steps_per_epoch, verbose=False, class_names=()):
    """Builds and compiles `preset`'s GAN in its precision.

    Args:
        preset: a `kgan.Preset`.
        seed: seeds the networks' initial weights and the training noise.
        steps_per_epoch: batches per epoch, which sets the length of a decaying schedule.
        verbose: say which precision `auto` picked.
        class_names: the data's classes, which a conditional preset needs (at least two).

    Returns:
        A compiled `kgan.GAN`.

    Raises:
        KganError: a conditional preset without at least two classes, or synchronized
            BatchNorm for networks that keep BatchNorm inside blocks.
    """
    num_classes = len(class_names) if preset.conditional else 0
    if preset.conditional and num_classes < 2:
        raise KganError(f"preset {preset.name!r} is conditional: it needs data with at least "
                        f"two classes (got {num_classes})")
    if preset.sync_batchnorm and preset.networks == "resnet64":
        raise KganError("--sync-batchnorm reaches top-level BatchNorm layers only; "
                        "resnet64 keeps its BatchNorm inside residual blocks")
    keras.utils.set_random_seed(seed)
    chosen = precision.resolve(preset.precision, verbose)
    with precision.dtype_policy(chosen):
        generator, discriminator = NETWORKS[preset.networks](
            preset.latent_dim, preset.sample_shape, num_classes=num_classes,
            class_input=preset.class_input)
        if preset.spectral_norm:
            discriminator = spectrally_normalized(discriminator)
    for layer in generator.layers + discriminator.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = preset.sync_batchnorm
    gan = GAN(generator, discriminator, preset.latent_dim, num_classes,
              class_names=class_names if num_classes else None, seed=seed,
              name=f"gan_{preset.name}")
    generator_steps = preset.total_steps(steps_per_epoch)
    # The discriminator takes d_steps updates per generator update: its schedule must last as
    # many iterations, or a decaying rate reaches 0 a d_steps-th of the way through.
    gan.compile(
        d_optimizer=precision.wrap_optimizer(
            _optimizer(preset, preset.lr_d, generator_steps * preset.d_steps), chosen),
        g_optimizer=precision.wrap_optimizer(
            _optimizer(preset, preset.lr_g, generator_steps, ema=preset.ema), chosen),
        loss=preset.loss,
        gp_weight=preset.gp_weight,
        r1_gamma=preset.r1_gamma,
        r1_every=preset.r1_every,
        d_steps=preset.d_steps,
        augment=preset.augment,
        mode_seeking=preset.mode_seeking,
        jit_compile=preset.jit == "on" or (
            preset.jit == "auto" and bool(tf.config.list_physical_devices("GPU"))),
    )
    return gan


def _optimizer(preset, learning_rate, total_steps, ema=0.0):
    """The preset's Adam (AdamW with weight decay), with its schedule and weight average."""
    if preset.lr_schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, total_steps)
    options = {"beta_1": preset.beta_1, "beta_2": preset.beta_2, "use_ema": bool(ema),
               "ema_momentum": ema or 0.99, "ema_rampup": preset.ema_rampup or None}
    if preset.weight_decay:
        return optimizers.AdamW(learning_rate, weight_decay=preset.weight_decay, **options)
    return optimizers.Adam(learning_rate, **options)


def spectrally_normalized(network):
    """The network (Sequential or functional) with every Conv2D and Dense layer wrapped in
    `keras.layers.SpectralNormalization` (one power iteration per training step); its other
    layers are shared, not copied."""

    def wrap(layer):
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            return keras.layers.SpectralNormalization(layer)
        return layer

    return keras.models.clone_model(network, clone_function=wrap)
