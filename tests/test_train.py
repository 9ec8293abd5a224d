import contextlib
import csv
import gc
import json
import os

import keras
import numpy as np
import pytest
from conftest import assert_weights_equal
from imagedata import write_image_folder

import kgan
from kgan import callbacks as kcallbacks
from kgan import data, train
from kgan.errors import KganError
from kgan.rundir import Position, RunDir

# 1,000 points at batch 100: 10 steps an epoch (1 kimg), a fraction of a second.
FAST = {"dataset": "gaussian", "batch_size": 100, "save_every": 1, "verbose": False}


def test_fit_writes_the_run_directory(tmp_path):
    run = tmp_path / "run"
    gan = kgan.fit(run_dir=str(run), epochs=2, seed=0, **FAST)
    for name in ("config.json", "model.keras", "history.csv", "losses.png",
                 "samples/img-000001000.png", "samples/img-000002000.png", "samples/animation.gif",
                 "checkpoints/epoch-0001.keras", "checkpoints/epoch-0002.keras"):
        assert (run / name).is_file(), name
    with open(run / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert {"d_loss", "g_loss", "d_real_acc", "d_fake_acc"} <= set(rows[0])
    loaded = keras.saving.load_model(str(run / "model.keras"))
    assert_weights_equal(loaded.get_weights(), gan.get_weights())
    assert int(loaded.g_optimizer.iterations) == 20


def test_a_run_directory_is_never_reused(tmp_path):
    kgan.fit(run_dir=str(tmp_path), epochs=1, seed=0, **FAST)
    with pytest.raises(KganError, match="already holds a run"):
        kgan.fit(run_dir=str(tmp_path), epochs=1, seed=0, **FAST)


def test_fit_on_an_image_folder_writes_grid_animation_plot_and_checkpoint(tmp_path):
    write_image_folder(tmp_path / "images", count=8, size=40)
    run = tmp_path / "run"
    gan = kgan.fit(dataset=f"folder:{tmp_path / 'images'}", preset="pokemon", run_dir=str(run),
                   epochs=1, batch_size=4, tensorboard=True, verbose=False)
    for name in ("samples/img-000000008.png", "samples/animation.gif", "losses.png",
                 "checkpoints/epoch-0001.keras", "model.keras", "history.csv"):
        assert (run / name).is_file(), name
    from PIL import Image

    assert Image.open(run / "samples/img-000000008.png").size == (8 * 64, 8 * 64)
    assert any((run / "tensorboard").rglob("events.out.tfevents.*"))
    assert int(gan.g_optimizer.iterations) == 2


class _Interrupt(Exception):
    pass


class _FreezeCount(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.frozen = gc.get_freeze_count()


@pytest.mark.parametrize("fails", [False, True], ids=["completes", "raises"])
def test_training_leaves_the_heap_frozen_only_while_it_runs(tmp_path, fails):
    """Full garbage collections skip the objects alive when training began, and the collector
    has them all back afterwards, also when training fails."""
    count = _FreezeCount()
    callbacks = [count, _RaiseAtBatch()] if fails else [count]
    assert gc.get_freeze_count() == 0
    with pytest.raises(_Interrupt) if fails else contextlib.nullcontext():
        kgan.fit(run_dir=str(tmp_path / "run"), epochs=1, callbacks=callbacks, **FAST)
    assert count.frozen > 10_000  # TensorFlow's and Keras' objects, at least
    assert gc.get_freeze_count() == 0


def test_training_leaves_a_heap_the_caller_froze_frozen(tmp_path):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        kgan.fit(run_dir=str(tmp_path / "run"), epochs=1, **FAST)
        # Still frozen, and nothing of the run's added (frozen objects that died left it).
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


class _RaiseAtBatch(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        raise _Interrupt


@pytest.fixture(params=["gaussian", "folder"])
def resumable(request, tmp_path):
    """Options of a short run that checkpoints after every batch and saves and evaluates once an
    epoch: the Gaussian (10 batches an epoch, 1 kimg), or a DCGAN (BatchNorm) on a folder (8
    batches an epoch, 0.032 kimg)."""
    options = {"verbose": False, "checkpoint_minutes": 1e-9, "eval_samples": 64}
    if request.param == "gaussian":
        return {**options, "dataset": "gaussian", "batch_size": 100, "save_every": 1,
                "eval_every": 1}
    write_image_folder(tmp_path / "images", count=32)
    return {**options, "dataset": f"folder:{tmp_path / 'images'}", "preset": "mnist",
            "batch_size": 4, "save_every": 0.032, "eval_every": 0.032}


def _crash_at(position):
    """A Checkpoint callback that stops the process right after saving `position`, or before its
    first save when `position` is None."""

    class CrashingCheckpoint(kcallbacks.Checkpoint):
        def _save(self, at, logs):
            if position is not None:
                super()._save(at, logs)
            if position in (None, at):
                raise _Interrupt

    return CrashingCheckpoint


@pytest.mark.parametrize("crash", [Position(1), Position(1, 3), None],
                         ids=["after-epoch", "mid-epoch", "before-any-checkpoint"])
def test_resume_continues_exactly(tmp_path, monkeypatch, resumable, crash):
    # Checkpoints do not change the training: the straight run saves only after epochs.
    straight = kgan.fit(run_dir=str(tmp_path / "straight"), epochs=2, seed=3,
                        **{**resumable, "checkpoint_minutes": 0})

    run = str(tmp_path / "interrupted")
    with monkeypatch.context() as patch:
        patch.setattr(kcallbacks, "Checkpoint", _crash_at(crash))
        with pytest.raises(_Interrupt):
            kgan.fit(run_dir=run, epochs=2, seed=3, **resumable)
    assert not os.path.exists(os.path.join(run, "model.keras"))
    latest = RunDir(run).latest_checkpoint()
    assert (latest and latest.position) == crash
    resumed = kgan.resume(run, verbose=False)

    assert_weights_equal(resumed.get_weights(), straight.get_weights())
    assert int(resumed.d_optimizer.iterations) == int(straight.d_optimizer.iterations)
    # The interrupted epoch logs the mean over all its batches, as the straight run did, and
    # the evaluations of the epochs trained again are not doubled.
    for name in ("history.csv", "metrics.jsonl"):
        assert (tmp_path / "interrupted" / name).read_bytes() == (
            tmp_path / "straight" / name).read_bytes(), name


def test_resume_draws_the_same_dropout_masks(tmp_path, monkeypatch):
    # The MLP's discriminator has Dropout, whose seed generator state Keras does not save.
    write_image_folder(tmp_path / "images", count=32)
    options = {"dataset": f"folder:{tmp_path / 'images'}", "preset": "mnist-mlp", "epochs": 2,
               "batch_size": 8, "seed": 3, "verbose": False, "checkpoint_minutes": 1e-9}
    straight = kgan.fit(run_dir=str(tmp_path / "straight"), **options)
    run = str(tmp_path / "interrupted")
    with monkeypatch.context() as patch:
        patch.setattr(kcallbacks, "Checkpoint", _crash_at(Position(1, 2)))
        with pytest.raises(_Interrupt):
            kgan.fit(run_dir=run, **options)
    assert_weights_equal(kgan.resume(run, verbose=False).get_weights(), straight.get_weights())


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    run = str(tmp_path / "run")
    kgan.fit(run_dir=run, epochs=1, seed=0, **FAST)
    poisoned = data.gaussian_points()
    poisoned[::7] = np.nan
    monkeypatch.setattr(data, "load_examples", lambda *args, **kwargs: poisoned)

    with pytest.raises(KganError, match=r"training stopped: \w+ became nan at epoch 2"):
        kgan.resume(run, epochs=3, verbose=False)
    checkpoints = RunDir(run).checkpoints()
    assert [checkpoint.position for checkpoint in checkpoints] == [Position(1)]
    good = keras.saving.load_model(checkpoints[0].path)
    assert all(np.isfinite(w).all() for w in good.get_weights())


def test_resume_needs_a_run_directory(tmp_path):
    with pytest.raises(KganError, match="not a kgan run directory"):
        kgan.resume(str(tmp_path), verbose=False)


def test_bad_data_or_options_leave_no_run_directory(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(KganError, match="larger than the data set"):
        kgan.fit(run_dir=str(run), **{**FAST, "batch_size": 5000})
    with pytest.raises(KganError, match="holds no readable image"):
        kgan.fit(dataset=f"folder:{tmp_path}", run_dir=str(run), verbose=False)
    assert not run.exists()


def test_a_preset_without_a_dataset_trains_on_its_own(monkeypatch, tmp_path):
    asked = []

    def load_examples(name, sample_shape, data_dir=None):
        asked.append(name)
        raise KganError("stop here")

    monkeypatch.setattr(data, "load_examples", load_examples)
    with pytest.raises(KganError, match="stop here"):
        kgan.fit(preset="pokemon", run_dir=str(tmp_path / "run"), verbose=False)
    assert asked == ["pokemon"]


def test_bad_overrides_are_user_errors(tmp_path):
    with pytest.raises(KganError, match="epochs must be at least 1"):
        kgan.fit(run_dir=str(tmp_path / "a"), epochs=0, **FAST)
    with pytest.raises(KganError, match="lr_d must be positive"):
        kgan.fit(run_dir=str(tmp_path / "b"), lr_d=-1.0, **FAST)
    with pytest.raises(KganError, match="larger than the data set"):
        kgan.fit(run_dir=str(tmp_path / "c"), **{**FAST, "batch_size": 5000})


def test_evaluations_come_every_eval_every_kimg(tmp_path, monkeypatch):
    write_image_folder(tmp_path / "images", count=8)
    # 8 images at batch 4: 0.004 kimg a step; evaluations at 0.008 kimg fall on steps 2 and 4.
    options = {"dataset": f"folder:{tmp_path / 'images'}", "preset": "mnist", "epochs": 3,
               "batch_size": 4, "verbose": False, "eval_samples": 8}
    kgan.fit(run_dir=str(tmp_path / "on"), eval_every=0.008, **options)
    with open(tmp_path / "on" / "metrics.jsonl") as f:
        assert [(r["step"], r["kimg"]) for r in map(json.loads, f)] == [(2, 0.008), (4, 0.016),
                                                                         (6, 0.024)]
    assert os.path.isfile(RunDir(str(tmp_path / "on")).best)
    # The image presets' default cadence lies far beyond this run: no evaluation at all, and
    # no real samples drawn for one.
    drawn = []
    monkeypatch.setattr(train, "real_samples", lambda *args: drawn.append(args))
    kgan.fit(run_dir=str(tmp_path / "default"), **options)
    assert not os.path.exists(tmp_path / "default" / "metrics.jsonl") and not drawn
    assert kgan.get_preset("mnist").eval_every == 1000
    assert kgan.get_preset("gaussian").eval_every == 0


def test_a_resumed_run_with_no_evaluation_left_drops_the_records_it_trains_again(tmp_path):
    write_image_folder(tmp_path / "images", count=8)
    # Evaluations and checkpoints on steps 2 and 4; then as if killed before the checkpoint at 4.
    run = RunDir(str(tmp_path / "run"))
    kgan.fit(dataset=f"folder:{tmp_path / 'images'}", preset="mnist", epochs=2, batch_size=4,
             eval_every=0.008, save_every=0.008, eval_samples=8, run_dir=run.root,
             verbose=False)
    os.remove(run.latest_checkpoint().path)
    config = json.loads(open(run.path("config.json")).read())
    config["evaluation"]["every"] = 0
    with open(run.path("config.json"), "w") as f:
        json.dump(config, f)
    kgan.resume(run.root, verbose=False)
    with open(run.path("metrics.jsonl")) as f:
        assert [record["step"] for record in map(json.loads, f)] == [2]


def test_a_kimg_budget_ends_mid_epoch_and_a_larger_one_resumes_it_exactly(tmp_path):
    # A constant rate: a decaying one is fixed to the budget the run was started with.
    options = {**FAST, "seed": 3, "save_every": 0.5, "lr_schedule": "constant"}
    straight = kgan.fit(run_dir=str(tmp_path / "straight"), kimg=2.5, **options)
    assert straight.step == 25  # 2,500 images at batch 100
    run = str(tmp_path / "short")
    short = kgan.fit(run_dir=run, kimg=1.5, **options)
    assert short.step == 15
    assert RunDir(run).latest_checkpoint().position == Position(1, 5)
    resumed = kgan.resume(run, kimg=2.5, verbose=False)
    assert_weights_equal(resumed.get_weights(), straight.get_weights())
    assert (tmp_path / "short" / "history.csv").read_bytes() == (
        tmp_path / "straight" / "history.csv").read_bytes()
    with pytest.raises(KganError, match="--epochs or --kimg, not both"):
        kgan.fit(run_dir=str(tmp_path / "both"), epochs=1, kimg=1, **FAST)


def test_a_run_written_with_epoch_cadences_resumes_with_them_in_kimg(tmp_path):
    # Before the kimg unit, config.json counted save_every and the evaluations in epochs.
    run = tmp_path / "run"
    kgan.fit(run_dir=str(run), epochs=2, **{**FAST, "batch_size": 64, "save_every": 1.92})
    config = json.loads((run / "config.json").read_text())
    del config["cadence"]
    config["preset"]["save_every"] = 2
    config["evaluation"]["every"] = 1
    (run / "config.json").write_text(json.dumps(config))
    gan = kgan.resume(str(run), epochs=4, verbose=False)
    assert gan.step == 4 * 15  # 1,000 points at batch 64: 15 steps, 0.96 kimg an epoch
    config = json.loads((run / "config.json").read_text())
    assert config["cadence"] == "kimg"
    assert config["preset"]["save_every"] == pytest.approx(2 * 0.96)
    assert config["evaluation"]["every"] == pytest.approx(0.96)
    assert [r["step"] for r in map(json.loads, (run / "metrics.jsonl").open())] == [45, 60]
