"""The run directory: the one place that names its files, lists its checkpoints, and reads and
writes its tables (`history.csv`, `metrics.jsonl`).

```
RUN/
  config.json           everything needed to rebuild the run (`kgan fit --resume RUN`)
  model.keras           the final GAN, written when training ends
  history.csv           one row of logged metrics per epoch
  losses.png            the loss and accuracy curves
  metrics.jsonl         evaluation results, one JSON record per line
  samples/              img-NNNNNNNNN.png sample grids (by training images seen), animation.gif
  checkpoints/          epoch-NNNN.keras (after epoch NNNN),
                        epoch-NNNN-batch-BBBBBB.keras (BBBBBB batches into epoch NNNN + 1),
                        best.keras (the best evaluation score so far)
  tensorboard/          with --tensorboard
  classifier.keras      a conditional run's label classifier, which `kgan evaluate` trains
```

Checkpoints are whole `.keras` files written atomically. A mid-epoch checkpoint also carries the
running means of the epoch's logged metrics (`kgan.json` inside the archive, which Keras ignores),
so that a run resumed from it logs the same epoch means as an uninterrupted run.
"""

import contextlib
import csv
import dataclasses
import glob
import json
import os
import re

from kgan.errors import KganError
from kgan.files import atomic_path, read_extra, save_model
from kgan.runconfig import RunConfig

CONFIG = "config.json"
MODEL = "model.keras"
HISTORY = "history.csv"
LOSSES = "losses.png"
METRICS = "metrics.jsonl"
SAMPLES = "samples"
CHECKPOINTS = "checkpoints"
BEST = "best.keras"
TENSORBOARD = "tensorboard"
CLASSIFIER = "classifier.keras"

_CHECKPOINT_NAME = re.compile(r"^epoch-(\d+)(?:-batch-(\d+))?\.keras$")
# The archive member of a mid-epoch checkpoint that holds the metrics' running state.
_STATE_MEMBER = "kgan.json"


@dataclasses.dataclass(frozen=True, order=True)
class Position:
    """How far a run has trained: `epoch` whole epochs, then `batch` batches of the next one."""

    epoch: int
    batch: int = 0

    @classmethod
    def of_step(cls, step, steps_per_epoch):
        """The position after `step` training steps (batches)."""
        return cls(*divmod(step, steps_per_epoch))

    def step(self, steps_per_epoch):
        """The training steps taken to reach this position."""
        return self.epoch * steps_per_epoch + self.batch


@dataclasses.dataclass(frozen=True)
class CheckpointFile:
    """A finished checkpoint file and the position it was saved at."""

    path: str
    position: Position


class RunDir:
    """The files of one run directory.

    Args:
        root: the directory's path.
    """

    def __init__(self, root):
        self.root = root

    def path(self, *parts):
        """The path of a file or folder inside the run, e.g. `path(HISTORY)`."""
        return os.path.join(self.root, *parts)

    @property
    def checkpoint_dir(self):
        """`RUN/checkpoints`."""
        return self.path(CHECKPOINTS)

    @property
    def best(self):
        """`RUN/checkpoints/best.keras`, the best-scoring checkpoint of `--eval-every`."""
        return self.path(CHECKPOINTS, BEST)

    def holds_run(self):
        """True once `config.json` exists."""
        return os.path.exists(self.path(CONFIG))

    def create(self):
        """Makes the directory for a new run; refuses one that already holds a run.

        Raises:
            KganError: the directory holds a run or cannot be written.
        """
        if self.holds_run():
            raise KganError(f"{self.root} already holds a run; continue it with --resume "
                            f"{self.root} or choose another --run-dir")
        try:
            os.makedirs(self.root, exist_ok=True)
        except OSError as error:
            raise KganError(f"cannot create run directory {self.root}: {error.strerror}") from None
        if not os.access(self.root, os.W_OK):
            raise KganError(f"cannot write to run directory {self.root}")

    def read_config(self):
        """Reads `config.json` as a `RunConfig`; a missing or broken one is a `KganError`."""
        path = self.path(CONFIG)
        try:
            with open(path) as f:
                return RunConfig.from_json(json.load(f))
        except FileNotFoundError:
            raise KganError(f"{self.root} is not a kgan run directory (no {CONFIG})") from None
        except (OSError, ValueError) as error:
            raise KganError(f"cannot read {path}: {error}") from None

    def write_config(self, config):
        """Writes a `RunConfig` as `config.json`, atomically."""
        path = self.path(CONFIG)
        try:
            with atomic_path(path) as tmp, open(tmp, "w") as f:
                json.dump(config.to_json(), f, indent=2)
        except OSError as error:
            raise KganError(f"cannot write {path}: {error.strerror}") from None

    def checkpoint_path(self, position):
        """Where the checkpoint at `position` goes."""
        name = f"epoch-{position.epoch:04d}"
        if position.batch:
            name += f"-batch-{position.batch:06d}"
        return self.path(CHECKPOINTS, name + ".keras")

    def checkpoints(self):
        """The finished checkpoints (not `best.keras`), oldest first."""
        found = []
        for path in glob.glob(self.path(CHECKPOINTS, "epoch-*.keras")):
            match = _CHECKPOINT_NAME.match(os.path.basename(path))
            if match:
                position = Position(int(match.group(1)), int(match.group(2) or 0))
                found.append(CheckpointFile(path, position))
        return sorted(found, key=lambda checkpoint: checkpoint.position)

    def latest_checkpoint(self):
        """The newest checkpoint, or `None` before the first."""
        checkpoints = self.checkpoints()
        return checkpoints[-1] if checkpoints else None

    def save_checkpoint(self, gan, position, keep, metric_state=None):
        """Saves `gan` at `position` and deletes all but the newest `keep` checkpoints.

        Args:
            gan: the GAN.
            position: the `Position` it was trained to.
            keep: how many of the newest checkpoints to keep.
            metric_state: for a mid-epoch checkpoint, the running state of the logged metrics
                (JSON-friendly), which `metric_state(path)` gives back.
        """
        extra = {_STATE_MEMBER: json.dumps(metric_state)} if metric_state else None
        save_model(gan, self.checkpoint_path(position), extra=extra)
        for old in self.checkpoints()[:-keep]:
            os.remove(old.path)

    def remove_partial_files(self):
        """Deletes temporary files that a killed process left half-written."""
        for path in glob.glob(self.path("**", ".tmp-*"), recursive=True):
            with contextlib.suppress(FileNotFoundError):  # another worker was quicker
                os.remove(path)


def read_history(path, before_epoch):
    """The rows of a `history.csv` for the epochs before `before_epoch`, as
    `{metric: [value per epoch]}` (empty when there is no file)."""
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        rows = [row for row in csv.DictReader(f) if int(row["epoch"]) < before_epoch]
    return {name: [float(row[name]) for row in rows] for name in (rows[0] if rows else [])
            if name != "epoch"}


def write_history(path, history):
    """Writes `{metric: [value per epoch]}` as `history.csv`, one row per epoch (counted from
    0, as in Keras). Rewritten whole (it is small) and renamed into place: never a half-written
    table."""
    names = sorted(history)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch"] + names)
        for epoch, values in enumerate(zip(*(history[name] for name in names))):
            writer.writerow([epoch, *values])


def append_record(path, record):
    """Appends one evaluation record to a `metrics.jsonl`."""
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def records_up_to(path, step):
    """The records of a `metrics.jsonl` up to training step `step`; later ones (a resumed run
    trains those steps again) are removed from the file."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        records = [json.loads(line) for line in f]
    kept = [record for record in records if (record.get("step") or 0) <= step]
    if len(kept) < len(records):
        with atomic_path(path) as tmp, open(tmp, "w") as f:
            f.writelines(json.dumps(record) + "\n" for record in kept)
    return kept


def metric_state(checkpoint_path):
    """The metrics' running state saved with a mid-epoch checkpoint, or `None`."""
    return read_extra(checkpoint_path, _STATE_MEMBER)
