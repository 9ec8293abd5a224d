import os
import sys

import pytest

import kgan
from kgan.errors import KganError
from kgan.presets import CONDITIONAL_DEFAULTS

# The scripts' override parser lives beside them.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "scripts"))
from overrides import parse_override


@pytest.mark.parametrize("name", sorted(kgan.PRESETS))
def test_preset_config_round_trip(name):
    preset = kgan.get_preset(name)
    assert kgan.Preset.from_config(preset.get_config()) == preset


@pytest.mark.parametrize("name", sorted(kgan.PRESETS))
def test_preset_builds_a_compiled_gan_whose_config_round_trips(name):
    preset = kgan.get_preset(name)
    gan = kgan.build_gan(preset, seed=0, steps_per_epoch=4)
    assert gan.latent_dim == preset.latent_dim
    assert tuple(gan.generator.output_shape[1:]) == tuple(preset.sample_shape)
    assert tuple(gan.discriminator.output_shape[1:]) == (1,)
    assert _without_container_dtype(kgan.GAN.from_config(gan.get_config()).get_config()) == (
        _without_container_dtype(gan.get_config()))


def _without_container_dtype(config):
    # Keras' Sequential.from_config does not restore the container's own dtype policy (its
    # layers keep theirs, and they do the computing), so a mixed-precision preset's network
    # comes back with a float32 container.
    for network in ("generator", "discriminator"):
        config[network]["config"].pop("dtype")
    return config


def test_command_line_overrides_read_json_values_and_keep_text():
    assert parse_override("ema=0.999") == ("ema", 0.999)
    assert parse_override("spectral_norm=true") == ("spectral_norm", True)
    assert parse_override("augment=color,translation") == ("augment", "color,translation")
    preset = kgan.get_preset("gaussian").with_overrides(
        **dict(map(parse_override, ["loss=hinge", "batch_size=32"])))
    assert (preset.loss, preset.batch_size) == ("hinge", 32)


def test_pokemon_d2l_is_d2l_s_recipe_on_the_pokemon_networks():
    pokemon, d2l = kgan.get_preset("pokemon"), kgan.get_preset("pokemon-d2l")
    assert (d2l.batch_size, d2l.lr_d, d2l.lr_g) == (256, 0.005, 0.005)
    assert (d2l.augment, d2l.ema) == ("", 0.0)
    assert (d2l.networks, d2l.latent_dim, d2l.beta_1) == (pokemon.networks, 100, 0.5)
    # An empty override (`--set augment=` in the scripts) turns DiffAugment off, and a zero one
    # turns off the preset's EMA: neither is taken for "keep the preset's" (None).
    with_augment = pokemon.with_overrides(augment="color")
    off = with_augment.with_overrides(**dict([parse_override("augment="), ("ema", 0)]))
    assert (pokemon.ema, off.augment, off.ema) == (0.999, "", 0)


def test_overrides_replace_fields_and_ignore_none():
    preset = kgan.get_preset("gaussian").with_overrides(epochs=3, batch_size=None)
    assert preset.epochs == 3
    assert preset.batch_size == kgan.get_preset("gaussian").batch_size


def test_cosine_schedule_decays_to_zero_over_the_run():
    preset = kgan.get_preset("gaussian").with_overrides(epochs=2)
    gan = kgan.build_gan(preset, seed=0, steps_per_epoch=5)
    schedule = gan.d_optimizer.learning_rate  # evaluated at iteration 0
    assert float(schedule) == pytest.approx(preset.lr_d)
    assert float(gan.d_optimizer._learning_rate(10)) == pytest.approx(0.0, abs=1e-9)


def test_unknown_preset():
    with pytest.raises(KganError, match="unknown preset 'nope'; choose one of: gaussian"):
        kgan.get_preset("nope")


@pytest.mark.parametrize("overrides, message", [
    ({"bogus": 1}, "unknown preset field bogus"),
    ({"epochs": 0}, "epochs must be at least 1"),
    ({"lr_g": 0.0}, "lr_g must be positive"),
    ({"checkpoint_minutes": -1.0}, "checkpoint_minutes must be 0 or more"),
    ({"ema": 1.0}, r"ema must be in \[0, 1\)"),
    ({"loss": "l7"}, "unknown loss 'l7'; choose one of: nonsaturating"),
    ({"lr_schedule": "step"}, "unknown lr_schedule 'step'"),
])
def test_the_preset_validates_its_fields_in_one_line(overrides, message):
    with pytest.raises(KganError, match=message) as raised:
        kgan.get_preset("gaussian").with_overrides(**overrides)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, ValueError)  # caught the Keras way too


def test_the_discriminator_schedule_lasts_its_d_steps_updates_per_step():
    preset = kgan.get_preset("gaussian").with_overrides(epochs=2, d_steps=3)
    gan = kgan.build_gan(preset, seed=0, steps_per_epoch=5)  # 10 generator steps, 30 critic updates
    assert float(gan.g_optimizer._learning_rate(10)) == pytest.approx(0.0, abs=1e-9)
    assert float(gan.d_optimizer._learning_rate(10)) > 0.5 * preset.lr_d
    assert float(gan.d_optimizer._learning_rate(30)) == pytest.approx(0.0, abs=1e-9)


def test_switching_the_loss_applies_its_defaults_unless_given():
    gaussian = kgan.get_preset("gaussian")
    assert gaussian.with_overrides(loss="wasserstein").d_steps == 5
    assert gaussian.with_overrides(loss="wasserstein", d_steps=2).d_steps == 2
    assert gaussian.with_overrides(loss="hinge").d_steps == gaussian.d_steps
    # A resumed run keeps what its config says: no loss switch, no defaults.
    wgan = gaussian.with_overrides(loss="wasserstein", d_steps=1)
    assert kgan.Preset.from_config(wgan.get_config()).with_overrides(epochs=3).d_steps == 1


def test_switching_conditional_on_applies_the_networks_conditional_recipe_unless_given():
    mnist = kgan.get_preset("mnist")
    conditional = mnist.with_overrides(conditional=True)
    recipe = CONDITIONAL_DEFAULTS["dcgan28"]
    assert {field: getattr(conditional, field) for field in recipe} == recipe
    assert mnist.with_overrides(conditional=True, batch_size=128).batch_size == 128
    # A family without a measured recipe keeps its own; a conditional config stays as it is.
    assert kgan.get_preset("gaussian").with_overrides(conditional=True).loss == "nonsaturating"
    tuned = conditional.with_overrides(lr_d=2e-4)
    assert kgan.Preset.from_config(tuned.get_config()).with_overrides(
        conditional=True).lr_d == 2e-4
    # A conditional run's config.json from before `class_input` keeps the networks it had.
    older = {k: v for k, v in conditional.get_config().items() if k != "class_input"}
    assert kgan.Preset.from_config(older).class_input == "concat"
    assert conditional.class_input == "batchnorm"


def test_epochs_and_kimg_are_one_budget():
    mnist = kgan.get_preset("mnist")
    short = mnist.with_overrides(kimg=5)
    assert short.total_steps(steps_per_epoch=400) == 40  # 5,000 images at batch 128
    assert short.with_overrides(epochs=3).total_steps(steps_per_epoch=400) == 1200
    with pytest.raises(KganError, match="--epochs or --kimg, not both"):
        mnist.with_overrides(epochs=3, kimg=5)
