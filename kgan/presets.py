"""Named configurations: which networks, which latent size and which training defaults.

A preset is independent of the data: `pokemon` trains the 64x64 DCGAN on whatever images it is
given. Every dataset names its default preset.
"""

import dataclasses
import math

from kgan import losses, precision
from kgan.errors import KganError, lookup
from kgan.nets import NETWORKS
from kgan.nets.conditional import CLASS_INPUTS

# Thousands of training images between sample grids, loss plots and checkpoints, unless a preset
# says otherwise. Every preset's cadences keep that work and the evaluations under 5% of the
# training time (scripts/RESULTS.md, "What surrounds the step").
SAVE_EVERY_KIMG = 50.0


@dataclasses.dataclass(frozen=True)
class Preset:
    """A GAN recipe: networks, latent size, sample shape, optimizers and training defaults.

    Attributes:
        name: the registry name.
        networks: a family in `kgan.nets.NETWORKS`.
        latent_dim: the generator's noise size.
        sample_shape: one sample's shape, `(dim,)` for points or `(height, width, channels)`.
        dataset: the dataset `kgan fit --preset NAME` uses when none is given.
        conditional: condition the networks on the data set's class labels (a conditional
            GAN; see `kgan.nets.conditional`).
        class_input: how a conditional generator takes its class: `concat` (its embedding
            beside `z`) or `batchnorm` (conditional BatchNorm); see `kgan.nets.conditional`.
        epochs: training epochs (unless `kimg` is set).
        kimg: a training budget in thousands of images seen instead of `epochs` (0: use
            `epochs`); training stops at the step that reaches it, which may be mid-epoch.
        batch_size: the global batch size.
        lr_d: the discriminator's learning rate.
        lr_g: the generator's learning rate.
        beta_1: Adam's first-moment decay (0.5 is the DCGAN choice).
        beta_2: Adam's second-moment decay.
        weight_decay: AdamW's decoupled weight decay; 0 selects plain Adam.
        lr_schedule: `constant`, or `cosine` to decay both rates to 0 over the run.
        loss: a name from `kgan.losses.LOSSES`.
        gp_weight: the WGAN-GP penalty weight; `None`: 10 for `wasserstein`, else off.
        r1_gamma: the R1 penalty's gamma (0: off).
        r1_every: apply R1 every this many discriminator steps (lazy regularisation).
        d_steps: discriminator updates per generator update.
        augment: DiffAugment transformations for the discriminator's inputs (`""`: none;
            `"color,translation,cutout"` for small data sets).
        spectral_norm: spectral normalisation of the discriminator's convolutions and dense
            layers (Miyato et al. 2018).
        mode_seeking: the weight of MSGAN's mode-seeking term in the generator's loss (Mao et
            al. 2019; 0: off), against a generator that draws one image per class.
        ema: the decay of an exponential moving average of the generator's weights, used for
            samples, evaluation and export (0: off; 0.999 is common).
        ema_rampup: the average's half-life at most this share of the steps taken so far
            (`kgan.optimizers`; 0: Keras' fixed decay from the first step).
        save_every: write samples, the loss plot and a checkpoint every this many thousand
            training images (kimg; and at the end of training).
        eval_every: score the generator with the offline SWD every this many kimg and keep
            `checkpoints/best.keras` (0: never); `kgan fit --eval-every` overrides it. Both
            defaults keep their work under 5% of the training time (scripts/RESULTS.md,
            "What surrounds the step").
        checkpoint_minutes: also checkpoint mid-epoch every this many minutes, so that a killed
            run loses at most that much work (0: only after epochs).
        deterministic: deterministic kernels (`tf.config.experimental.enable_op_determinism`),
            so that the same command gives bit-equal runs (scripts/RESULTS.md, "Determinism":
            its cost).
        sync_batchnorm: under a distribution strategy, compute BatchNorm statistics over the
            global batch instead of each replica's share.
        precision: `auto`, `fp32`, `bf16` or `fp16` (see `kgan.precision`).
        jit: XLA compilation of the training step: `on`, `off`, or `auto` (on for GPUs; on
            this kind of CPU it measured slower).
    """

    name: str
    networks: str
    latent_dim: int
    sample_shape: tuple
    dataset: str
    epochs: int
    batch_size: int
    lr_d: float
    lr_g: float
    beta_1: float = 0.5
    beta_2: float = 0.999
    weight_decay: float = 0.0
    lr_schedule: str = "constant"
    loss: str = "nonsaturating"
    gp_weight: float | None = None
    r1_gamma: float = 0.0
    r1_every: int = 1
    d_steps: int = 1
    ema: float = 0.0
    ema_rampup: float = 0.05
    augment: str = ""
    spectral_norm: bool = False
    mode_seeking: float = 0.0
    kimg: float = 0.0
    save_every: float = SAVE_EVERY_KIMG
    eval_every: float = 0.0
    checkpoint_minutes: float = 0.0
    deterministic: bool = False
    conditional: bool = False
    class_input: str = "concat"
    sync_batchnorm: bool = False
    precision: str = "auto"
    jit: str = "auto"

    def __post_init__(self):
        """Checks the fields, so that a bad preset or override is one clear `KganError`."""
        for field in ("epochs", "batch_size", "latent_dim", "r1_every", "d_steps"):
            if getattr(self, field) < 1:
                raise KganError(f"{field} must be at least 1 (got {getattr(self, field)})")
        for field in ("lr_d", "lr_g"):
            if not getattr(self, field) > 0:
                raise KganError(f"{field} must be positive (got {getattr(self, field)})")
        if not self.save_every > 0:
            raise KganError(f"save_every must be positive (got {self.save_every})")
        for field in ("checkpoint_minutes", "r1_gamma", "weight_decay", "eval_every",
                      "ema_rampup", "kimg", "mode_seeking"):
            if getattr(self, field) < 0:
                raise KganError(f"{field} must be 0 or more (got {getattr(self, field)})")
        if not 0 <= self.ema < 1:
            raise KganError(f"ema must be in [0, 1) (got {self.ema})")
        choices = {"lr_schedule": ("constant", "cosine"), "jit": ("auto", "on", "off"),
                   "precision": precision.PRECISIONS, "networks": tuple(NETWORKS),
                   "loss": tuple(losses.LOSSES), "class_input": CLASS_INPUTS}
        for field, allowed in choices.items():
            if getattr(self, field) not in allowed:
                raise KganError(f"unknown {field} {getattr(self, field)!r}; choose one of: "
                                f"{', '.join(allowed)}")

    def get_config(self):
        """Returns the preset as a JSON-friendly dict."""
        config = dataclasses.asdict(self)
        config["sample_shape"] = list(self.sample_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuilds a preset from `get_config()`."""
        return cls(**{**config, "sample_shape": tuple(config["sample_shape"])})

    def with_overrides(self, **overrides):
        """Returns a copy with the given fields replaced; `None` values are ignored.

        Switching to another loss also applies its `LOSS_DEFAULTS`, and switching `conditional`
        on applies the networks' `CONDITIONAL_DEFAULTS`, except for fields given here. `epochs`
        and `kimg` are two units of one budget: giving `epochs` drops a `kimg` budget.

        Raises:
            KganError: an unknown field or a bad value.
        """
        fields = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise KganError(f"unknown preset field {', '.join(unknown)}; "
                            f"the fields are: {', '.join(sorted(fields))}")
        given = {k: v for k, v in overrides.items() if v is not None}
        if "epochs" in given:
            if "kimg" in given:
                raise KganError("give --epochs or --kimg, not both")
            given["kimg"] = 0.0
        if given.get("conditional") and not self.conditional:
            networks = given.get("networks", self.networks)
            given = {**CONDITIONAL_DEFAULTS.get(networks, {}), **given}
        if given.get("loss", self.loss) != self.loss:
            given = {**LOSS_DEFAULTS.get(given["loss"], {}), **given}
        return dataclasses.replace(self, **given)

    def total_steps(self, steps_per_epoch):
        """The generator steps of the whole run: `kimg`'s images rounded up to whole batches,
        or `epochs` whole epochs."""
        if self.kimg:
            return math.ceil(1000 * self.kimg / self.batch_size)
        return self.epochs * steps_per_epoch


# Fields a loss needs other values of, applied when a preset switches to that loss (unless they
# are given too). Measured on the Gaussian preset (scripts/RESULTS.md, "The Gaussian preset").
LOSS_DEFAULTS = {
    # WGAN-GP's critic takes five updates per generator update (Gulrajani et al. 2017).
    "wasserstein": {"d_steps": 5},
    # With one, the least-squares generator collapsed onto the mean in 3 of 5 seeds.
    "lsgan": {"d_steps": 3},
}

# Fields a conditional run of a network family needs other values of, applied when a preset
# switches `conditional` on (unless they are given too): with the unconditional recipe the
# DCGAN-28 ignored its labels on real sprites (scripts/RESULTS.md, "Conditional GANs on real
# labelled images": spectral normalisation raised the label accuracy from 0.78 to 0.90 on average
# over three seeds there, and Adam's betas (0, 0.9) with it to 0.97; conditional BatchNorm kept
# 0.97 and lifted the diversity within a class from 0.15 of the data's to 0.78).
CONDITIONAL_DEFAULTS = {
    "dcgan28": {"loss": "hinge", "batch_size": 32, "lr_d": 1e-3, "lr_g": 1e-3, "ema": 0.999,
                "spectral_norm": True, "beta_1": 0.0, "beta_2": 0.9, "class_input": "batchnorm"},
}


# d2l 17.2's networks, betas and 20 epochs, with batch 64, rate 4e-4 and the generator's ramped
# moving average: the best of the recipes compared in scripts/RESULTS.md, "The Pokemon recipe".
_POKEMON = Preset(
    name="pokemon",
    networks="dcgan64",
    latent_dim=100,
    sample_shape=(64, 64, 3),
    dataset="pokemon",
    epochs=20,
    batch_size=64,
    lr_d=4e-4,
    lr_g=4e-4,
    ema=0.999,
    checkpoint_minutes=10.0,
    eval_every=200.0,
)

PRESETS = {
    preset.name: preset
    for preset in [
        # d2l 17.1's networks, a wider discriminator, a larger batch and a cosine decay
        # (scripts/RESULTS.md, "The Gaussian preset").
        Preset(
            name="gaussian",
            networks="gaussian",
            latent_dim=2,
            sample_shape=(2,),
            dataset="gaussian",
            epochs=200,
            batch_size=64,
            lr_d=0.01,
            lr_g=0.01,
            lr_schedule="cosine",
            save_every=10.0,  # about 10 epochs of the 1,000 points
            # A 2-d linear generator gains nothing from 16-bit arithmetic.
            precision="fp32",
        ),
        _POKEMON,
        # d2l 17.2's own recipe, for comparison: no moving average.
        dataclasses.replace(_POKEMON, name="pokemon-d2l", batch_size=256, lr_d=0.005,
                            lr_g=0.005, ema=0.0),
        # SNGAN's residual networks at a quarter of their width, its hinge loss, rate and betas,
        # one critic step per generator step (scripts/RESULTS.md, "The Pokemon recipe").
        dataclasses.replace(_POKEMON, name="pokemon-resnet", networks="resnet64", latent_dim=128,
                            lr_d=2e-4, lr_g=2e-4, beta_1=0.0, beta_2=0.9, loss="hinge"),
        # The MNIST reference: AdamW lr 2e-4, betas (0.5, 0.999), weight decay 1e-5, batch 128.
        *[
            Preset(
                name=name,
                networks=networks,
                latent_dim=100,
                sample_shape=(28, 28, 1),
                dataset=dataset,
                epochs=20,
                batch_size=128,
                lr_d=2e-4,
                lr_g=2e-4,
                weight_decay=1e-5,
                checkpoint_minutes=10.0,
                save_every=100.0,
                eval_every=1000.0,
            )
            for name, networks, dataset in [
                ("mnist", "dcgan28", "mnist"),
                ("fashion_mnist", "dcgan28", "fashion_mnist"),
                ("mnist-mlp", "mlp", "mnist"),
            ]
        ],
    ]
}


def get_preset(name):
    """Returns the registered preset `name`.

    Raises:
        KganError: no preset has that name.
    """
    return lookup(PRESETS, name, "preset")
