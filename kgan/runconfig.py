"""A run's settings as typed records: what `config.json` holds, checked where it is made.

`RunConfig` is JSON only inside `kgan.rundir.RunDir` (`to_json` / `from_json`); `kgan.train`
and the commands read its fields.
"""

import dataclasses

from kgan.errors import KganError
from kgan.metrics import OFFLINE_METRICS
from kgan.presets import Preset

# The unit of `save_every` and `Evaluation.every`; runs written before it was recorded counted
# them in epochs.
CADENCE_UNIT = "kimg"


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Scoring during training (see `kgan.callbacks.Evaluation`).

    Attributes:
        every: thousands of training images between evaluations (0: never).
        metric: an offline metric where lower is better (`OFFLINE_METRICS`).
        samples: real and generated samples per evaluation.
    """

    every: float = 0.0
    metric: str = "swd"
    samples: int = 1024

    def __post_init__(self):
        if self.every < 0 or self.samples < 2:
            raise KganError("--eval-every must be 0 or more and --eval-samples at least 2")
        if self.metric not in OFFLINE_METRICS:
            raise KganError(f"--eval-metric must be one of {', '.join(OFFLINE_METRICS)} "
                            f"(got {self.metric!r})")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything a run directory needs to rebuild and continue its run.

    Attributes:
        dataset: the data set's name (`kgan.data`).
        preset: the `Preset`, overrides applied.
        seed: seeds the weights, the noise and the data order.
        data_dir: where the data set lives, for manual downloads.
        tensorboard: also write TensorBoard summaries.
        evaluation: scoring during training.
        classes: a conditional run's class names, checked again on resume.
        cadence: the unit of the cadences (`CADENCE_UNIT`; `epochs` in older runs).
    """

    dataset: str
    preset: Preset
    seed: int = 0
    data_dir: str | None = None
    tensorboard: bool = False
    evaluation: Evaluation = Evaluation()
    classes: tuple | None = None
    cadence: str = CADENCE_UNIT

    def to_json(self):
        """The JSON-friendly dict of `config.json`."""
        config = dataclasses.asdict(self)
        config["preset"] = self.preset.get_config()
        if self.classes is None:
            del config["classes"]
        else:
            config["classes"] = list(self.classes)
        return config

    @classmethod
    def from_json(cls, config):
        """Reads `to_json()`'s dict, and the configs of older runs (no cadence unit: epochs;
        no evaluation).

        Raises:
            KganError: a field is missing, unknown or bad.
        """
        config = dict(config)
        try:
            preset = Preset.from_config(config.pop("preset"))
            evaluation = Evaluation(**(config.pop("evaluation", None) or {}))
            classes = config.pop("classes", None)
            return cls(preset=preset, evaluation=evaluation,
                       classes=None if classes is None else tuple(classes),
                       cadence=config.pop("cadence", "epochs"), **config)
        except (KeyError, TypeError) as error:
            raise KganError(f"config.json is not a kgan run's: {error}") from None

    def in_kimg(self, images_per_epoch):
        """This config with an older run's epoch cadences turned into kimg (the same points),
        given the images one epoch trains on."""
        if self.cadence == CADENCE_UNIT:
            return self
        kimg = images_per_epoch / 1000
        preset = dataclasses.replace(self.preset, save_every=self.preset.save_every * kimg,
                                     eval_every=self.preset.eval_every * kimg)
        evaluation = dataclasses.replace(self.evaluation, every=self.evaluation.every * kimg)
        return dataclasses.replace(self, preset=preset, evaluation=evaluation,
                                   cadence=CADENCE_UNIT)
