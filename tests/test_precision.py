import keras
import numpy as np
import pytest
import tensorflow as tf

import kgan
from kgan import precision
from kgan.errors import KganError
from kgan.export import export_generator


def _gan(name, mode):
    return kgan.build_gan(kgan.get_preset(name).with_overrides(precision=mode), 0, steps_per_epoch=2)


@pytest.mark.parametrize("mode", ["bf16", "fp16"])
@pytest.mark.parametrize("preset", ["mnist", "mnist-mlp"])
def test_mixed_precision_keeps_logits_and_images_in_float32(preset, mode, tmp_path):
    gan = _gan(preset, mode)
    assert gan.generator.layers[0].dtype_policy.name == f"mixed_{'b' if mode == 'bf16' else ''}float16"
    z = kgan.latent_batch(4, gan.latent_dim, seed=0)
    images = gan.generator(z)
    assert images.dtype == "float32"
    assert gan.discriminator(images).dtype == "float32"
    # The bulk runs in 16 bits; each network's last layer with weights in float32.
    for network in (gan.generator, gan.discriminator):
        weighted = [layer for layer in network.layers if layer.weights]
        assert weighted[0].compute_dtype != "float32" and weighted[-1].compute_dtype == "float32"
    logs = gan.train_step(tf.random.stateless_uniform((4, 28, 28, 1), (1, 2), -1, 1))
    assert all(np.isfinite(float(v)) for v in logs.values())
    path = export_generator(gan, str(tmp_path / "export"))
    served = tf.saved_model.load(path).signatures["serving_default"](z=tf.constant(z))["samples"]
    assert served.dtype == tf.float32
    expected = gan.sampling_generator()(z, training=False).numpy()
    # In the exported graph Grappler fuses each bias add into its 16-bit matmul, which rounds once
    # where eager execution rounds twice: agreement to 16-bit precision, not float32's. (float16
    # agreed to 1e-5 on earlier CI machines, to 2.3e-5 on a 2-core Xeon with AMX.)
    np.testing.assert_allclose(served.numpy(), expected, atol=1e-3)
    # The global policy is back to float32 once the networks are built.
    assert keras.config.dtype_policy().name == "float32"


def test_fp16_optimizers_scale_the_loss_and_skip_non_finite_steps():
    gan = _gan("mnist", "fp16")
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    def trainable():
        return [v.numpy() for v in gan.discriminator.trainable_weights]

    before = trainable()
    scale = float(gan.d_optimizer.dynamic_scale)
    poisoned = np.full((4, 28, 28, 1), np.inf, np.float32)
    gan.discriminator_step(tf.constant(poisoned))
    for a, b in zip(before, trainable()):
        np.testing.assert_array_equal(a, b)
    assert float(gan.d_optimizer.dynamic_scale) < scale
    # The skipped step still counts: the step counter counts the batches trained.
    assert int(gan.d_optimizer.iterations) == 1
    # A finite batch trains as usual.
    gan.discriminator_step(tf.zeros((4, 28, 28, 1)))
    assert all(np.isfinite(w).all() for w in trainable())
    assert any(not np.array_equal(a, b) for a, b in zip(before, trainable()))
    assert int(gan.d_optimizer.iterations) == 2
    # Both updates of every training step, skipped or not, count (in fit's compiled step too).
    batches = np.stack([poisoned, np.zeros_like(poisoned)] * 2)
    gan.fit(tf.data.Dataset.from_tensor_slices(batches), epochs=1, verbose=0)
    assert gan.step == 4 and int(gan.d_optimizer.iterations) == 2 + 4


def test_mixed_precision_survives_the_keras_round_trip(tmp_path):
    gan = _gan("mnist", "fp16")
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    assert isinstance(loaded.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert loaded.generator.layers[0].dtype_policy.name == "mixed_float16"


@pytest.mark.parametrize("gpus, tensor_cores, cpu_flags, expected", [
    ([], False, {"avx512f", "avx512_bf16"}, "bf16"),
    ([], False, {"amx_bf16"}, "bf16"),
    ([], False, {"avx2", "fma"}, "fp32"),
    (["GPU:0"], True, {"avx512_bf16"}, "fp16"),
    (["GPU:0"], False, set(), "fp32"),
])
def test_auto_follows_the_hardware(monkeypatch, gpus, tensor_cores, cpu_flags, expected):
    monkeypatch.setattr(precision, "_cpu_flags", lambda: cpu_flags)
    monkeypatch.setattr(precision, "_tensor_core_gpus", lambda: tensor_cores)
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: gpus if kind == "GPU" else [])
    assert precision.resolve("auto") == expected
    assert precision.resolve("fp32") == "fp32"


def test_unknown_precision():
    with pytest.raises(KganError, match="unknown precision 'fp8'"):
        precision.resolve("fp8")
