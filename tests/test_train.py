import csv
import os

import keras
import numpy as np
import pytest
from conftest import assert_weights_equal
from imagedata import write_image_folder

import kgan
from kgan import callbacks as kcallbacks
from kgan import data
from kgan.errors import KganError

# 1,000 points at batch 100: 10 steps an epoch, a fraction of a second.
FAST = {"dataset": "gaussian", "batch_size": 100, "save_every": 1, "verbose": False}


def test_fit_writes_the_run_directory(tmp_path):
    run = tmp_path / "run"
    gan = kgan.fit(run_dir=str(run), epochs=2, seed=0, **FAST)
    for name in ("config.json", "model.keras", "history.csv", "losses.png",
                 "samples/epoch-0001.png", "samples/epoch-0002.png", "samples/animation.gif",
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
    for name in ("samples/epoch-0001.png", "samples/animation.gif", "losses.png",
                 "checkpoints/epoch-0001.keras", "model.keras", "history.csv"):
        assert (run / name).is_file(), name
    from PIL import Image

    assert Image.open(run / "samples/epoch-0001.png").size == (8 * 64, 8 * 64)
    assert any((run / "tensorboard").rglob("events.out.tfevents.*"))
    assert int(gan.g_optimizer.iterations) == 2


class _Interrupt(Exception):
    pass


@pytest.fixture(params=["gaussian", "folder"])
def resumable(request, tmp_path):
    """Options of a short two-epoch run: the Gaussian, or a DCGAN (BatchNorm) on a folder."""
    if request.param == "gaussian":
        return FAST
    write_image_folder(tmp_path / "images", count=16)
    return {"dataset": f"folder:{tmp_path / 'images'}", "preset": "mnist", "batch_size": 8,
            "save_every": 1, "verbose": False}


def test_resume_continues_exactly(tmp_path, monkeypatch, resumable):
    straight = kgan.fit(run_dir=str(tmp_path / "straight"), epochs=2, seed=3, **resumable)

    class CrashAfterFirstCheckpoint(kcallbacks.Checkpoint):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            raise _Interrupt

    run = str(tmp_path / "interrupted")
    with monkeypatch.context() as patch:
        patch.setattr(kcallbacks, "Checkpoint", CrashAfterFirstCheckpoint)
        with pytest.raises(_Interrupt):
            kgan.fit(run_dir=run, epochs=2, seed=3, **resumable)
    assert not os.path.exists(os.path.join(run, "model.keras"))
    resumed = kgan.resume(run, verbose=False)

    assert_weights_equal(resumed.get_weights(), straight.get_weights(), atol=1e-6)
    assert int(resumed.d_optimizer.iterations) == int(straight.d_optimizer.iterations)
    with open(os.path.join(run, "history.csv")) as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1"]


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    run = str(tmp_path / "run")
    kgan.fit(run_dir=run, epochs=1, seed=0, **FAST)
    poisoned = data.gaussian_points()
    poisoned[::7] = np.nan
    monkeypatch.setattr(data, "load_examples", lambda *args, **kwargs: poisoned)

    with pytest.raises(KganError, match=r"training stopped: \w+ became nan at epoch 2"):
        kgan.resume(run, epochs=3, verbose=False)
    checkpoints = kcallbacks.list_checkpoints(os.path.join(run, "checkpoints"))
    assert [epoch for _, epoch in checkpoints] == [1]
    good = keras.saving.load_model(checkpoints[0][0])
    assert all(np.isfinite(w).all() for w in good.get_weights())


def test_resume_needs_a_run_with_a_checkpoint(tmp_path):
    with pytest.raises(KganError, match="not a kgan run directory"):
        kgan.resume(str(tmp_path), verbose=False)


def test_bad_overrides_are_user_errors(tmp_path):
    with pytest.raises(KganError, match="epochs must be at least 1"):
        kgan.fit(run_dir=str(tmp_path / "a"), epochs=0, **FAST)
    with pytest.raises(KganError, match="lr_d must be positive"):
        kgan.fit(run_dir=str(tmp_path / "b"), lr_d=-1.0, **FAST)
    with pytest.raises(KganError, match="larger than the data set"):
        kgan.fit(run_dir=str(tmp_path / "c"), **{**FAST, "batch_size": 5000})
