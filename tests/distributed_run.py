"""Distributed checks that need a fresh process (CPU replicas must be set before TensorFlow
starts). Run by tests/test_distribute.py; prints one JSON line.

    python tests/distributed_run.py mirrored gaussian|dcgan
    python tests/distributed_run.py options [conditional]
    TF_CONFIG=... python tests/distributed_run.py multiworker RUN_DIR WEIGHTS.npz
"""

import json
import sys

from kgan import distribute


def mirrored_step(preset):
    """One fit() step under MirroredStrategy on 2 CPU replicas against one single-device step
    on the same global batch with the replicas' noise concatenated.

    Both use SGD: its update is the gradient itself, while Adam's first step divides the gradient
    by its own magnitude and so magnifies float round-off of near-zero gradients."""
    import keras
    import numpy as np
    import tensorflow as tf

    import kgan

    def build():
        gan = kgan.build_gan(preset, seed=0, steps_per_epoch=1)
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
        return gan

    strategy = distribute.make_strategy("mirrored", replicas=2)
    with strategy.scope():
        mirrored = build()
    single = build()
    single.set_weights(mirrored.get_weights())
    batch = 8
    real = tf.random.stateless_uniform((batch, *preset.sample_shape), (3, 4), -1, 1)
    mirrored.fit(tf.data.Dataset.from_tensors(real).repeat(), epochs=1, steps_per_epoch=1,
                 verbose=0)
    logged = {metric.name: float(metric.result()) for metric in mirrored.metrics}

    # Stream 1 at step 0: the fakes both updates of the first train_step share.
    noise = [single.noise(batch // 2, 1, 0, replica=r).numpy() for r in (0, 1)]
    d_loss, real_acc, fake_acc, g_loss = single.adversarial_step(real, np.concatenate(noise))
    gaps = {variable.path: float(np.abs(a - b).max()) for variable, a, b
            in zip(mirrored.weights, mirrored.get_weights(), single.get_weights())}
    return {
        "replicas": strategy.num_replicas_in_sync,
        "max_weight_gap": max(gaps.values()),
        "worst_weight": max(gaps, key=gaps.get),
        "noise_gap": float(np.abs(noise[0] - noise[1]).max()),
        "logged": logged,
        "single": {"d_loss": float(d_loss), "g_loss": float(g_loss),
                   "d_real_acc": float(real_acc), "d_fake_acc": float(fake_acc)},
    }


def every_option_mirrored(conditional=False):
    """Two fit() steps under MirroredStrategy on 2 CPU replicas, in bfloat16, with every loss
    option at once: gradient penalty, R1, two discriminator steps, spectral normalisation,
    DiffAugment and EMA; with `conditional`, on labelled batches of a conditional GAN, with the
    hinge loss and one discriminator step instead of WGAN-GP's two."""
    import numpy as np
    import tensorflow as tf

    import kgan

    # The conditional run skips WGAN-GP, whose tracing costs most: R1 already runs the
    # penalties' label-aware critic.
    loss, d_steps = ("hinge", 1) if conditional else ("wasserstein", 2)
    preset = kgan.get_preset("mnist").with_overrides(
        loss=loss, r1_gamma=1.0, d_steps=d_steps, spectral_norm=True, augment="color,cutout",
        ema=0.9, precision="bf16", conditional=conditional)
    strategy = distribute.make_strategy("mirrored", replicas=2)
    with strategy.scope():
        gan = kgan.build_gan(preset, seed=0, steps_per_epoch=2, class_names=("a", "b"))
    real = tf.random.stateless_uniform((8, 28, 28, 1), (3, 4), -1, 1)
    batch = (real, tf.constant([0, 1] * 4)) if conditional else real
    history = gan.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1, steps_per_epoch=2,
                      verbose=0).history
    samples = gan.generate(4, seed=0)
    return {"replicas": strategy.num_replicas_in_sync, "d_steps": int(gan.d_optimizer.iterations.numpy()),
            "finite": bool(all(np.isfinite(v[-1]) for v in history.values())
                           and np.isfinite(samples).all())}


def main():
    mode = sys.argv[1]
    if mode == "mirrored":
        import kgan

        # One strategy per process: two would share collective-op keys.
        presets = {"gaussian": kgan.get_preset("gaussian"),
                   "dcgan": kgan.get_preset("mnist").with_overrides(sync_batchnorm=True,
                                                                    precision="fp32")}
        print(json.dumps(mirrored_step(presets[sys.argv[2]])))
    elif mode == "options":
        print(json.dumps(every_option_mirrored(conditional=sys.argv[2:] == ["conditional"])))
    else:
        import numpy as np

        import kgan

        run_dir, weights = sys.argv[2], sys.argv[3]
        gan = kgan.fit(dataset="gaussian", run_dir=run_dir, epochs=2, batch_size=100,
                       save_every=1, strategy="multiworker", verbose=False)
        np.savez(weights, *gan.get_weights())
        print(json.dumps({"chief": distribute.is_chief(), "step": gan.step}))


if __name__ == "__main__":
    main()
