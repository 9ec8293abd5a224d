import itertools
import json
import os

import keras
import numpy as np
import pytest
from conftest import assert_weights_equal, make_gaussian_gan
from scipy.linalg import sqrtm

import kgan
from kgan.callbacks import Cadence, Evaluation, diversity
from kgan.errors import KganError
from kgan.evaluate import compute_metrics, evaluate, parse_metrics
from kgan.metrics import (
    frechet_distance,
    image_swd,
    kernel_distance,
    precision_recall,
    sliced_wasserstein,
)
from kgan.metrics.inception import inception_network
from kgan.rundir import RunDir


def gaussian_features(n, dim, seed, shift=0.0, scale=1.0):
    """Draws from one fixed correlated Gaussian (per `dim`), moved and scaled."""
    mixing = np.random.default_rng(dim).standard_normal((dim, dim)) / np.sqrt(dim)
    return (np.random.default_rng(seed).standard_normal((n, dim)) @ mixing) * scale + shift


def test_fid_of_a_set_against_itself_is_zero():
    x = gaussian_features(500, 16, 0)
    assert abs(frechet_distance(x, x)) < 1e-8


def test_fid_matches_the_closed_form():
    a = gaussian_features(2000, 8, 1)
    b = gaussian_features(2000, 8, 2, shift=0.5, scale=1.5)
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * sqrtm(s1 @ s2).real)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_kid_is_unbiased_on_one_distribution():
    # Many independent pairs of draws from one distribution: the estimates centre on 0.
    estimates = [kernel_distance(gaussian_features(200, 8, s, shift=1.0),
                                 gaussian_features(200, 8, 1000 + s, shift=1.0),
                                 subsets=5, subset_size=100, seed=s)[0] for s in range(40)]
    spread = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates)) < 3 * spread
    shifted = kernel_distance(gaussian_features(200, 8, 0), gaussian_features(200, 8, 1, shift=1),
                              subsets=5, subset_size=100)[0]
    assert shifted > 10 * spread


def test_swd_is_zero_for_identical_sets_and_grows_with_noise():
    rng = np.random.default_rng(0)
    images = np.tanh(rng.standard_normal((64, 32, 32, 3))).astype(np.float32)
    assert image_swd(images, images, patches_per_image=16)["swd"] == pytest.approx(0.0, abs=1e-9)
    distances = [
        image_swd(images, np.clip(images + sigma * rng.standard_normal(images.shape), -1, 1)
                  .astype(np.float32), patches_per_image=16)["swd"]
        for sigma in (0.05, 0.2, 0.5, 1.0)
    ]
    assert all(a < b for a, b in itertools.pairwise(distances)), distances


def test_swd_on_points():
    points = kgan.data.gaussian_points(500)
    assert sliced_wasserstein(points, points) == 0.0
    # A shift by (1, 1) moves every projection onto the unit direction (cos t, sin t) by
    # cos t + sin t, so the distance is E|cos t + sin t| = 2 sqrt(2) / pi over random directions.
    assert sliced_wasserstein(points, points + 1.0) == pytest.approx(2 * np.sqrt(2) / np.pi, rel=0.03)


def test_precision_recall():
    x = gaussian_features(300, 4, 0)
    assert precision_recall(x, x) == (1.0, 1.0)
    assert precision_recall(x, x + 100.0) == (0.0, 0.0)


def test_precision_recall_radius_is_the_kth_neighbour_distance():
    real = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    fake = np.array([[-1.5], [1.5], [20.0]])
    # k = 1: radii 1, 1, 1, 1, 7; only 1.5 lies inside (0.5 from 1).
    assert precision_recall(real, fake, k=1) == pytest.approx((1 / 3, 1.0))
    # k = 2: radii 2, 1, 1, 2, 8; -1.5 is inside too (1.5 from 0), 20 is 10 from 10 > 8.
    assert precision_recall(real, fake, k=2) == pytest.approx((2 / 3, 1.0))
    # Recall: around the fakes -1.5, 1.5, 4 (k = 1: radii 3, 2.5, 2.5) lie all real points
    # but 10 (6 from 4); 4 is inside the real ball around 10 (radius 7).
    assert precision_recall(real, np.array([[-1.5], [1.5], [4.0]]), k=1) == pytest.approx(
        (2 / 3, 0.8))


def test_diversity_detects_collapse():
    x = gaussian_features(300, 4, 0)
    collapsed = np.repeat(x[:1], 300, axis=0) + 0.01 * gaussian_features(300, 4, 1)
    assert diversity(collapsed) < 0.05 * diversity(x)


def test_inception_features_with_random_weights():
    images = np.random.default_rng(0).uniform(-1, 1, (6, 28, 28, 1)).astype(np.float32)
    results = compute_metrics(images[:3], images[3:], ["fid", "kid", "pr"], random_inception=True)
    assert {"fid", "kid", "kid_std", "precision", "recall"} <= set(results)
    assert all(np.isfinite(v) for v in results.values())


def test_missing_inception_weights_give_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(KganError) as error:
        inception_network()
    message = str(error.value)
    assert "\n" not in message and "--inception-weights PATH" in message and str(tmp_path) in message


def test_unknown_metric():
    assert parse_metrics("fid, swd") == ("fid", "swd")
    with pytest.raises(KganError, match="unknown metric lpips"):
        parse_metrics("fid,lpips")
    with pytest.raises(KganError, match="names no metric"):
        parse_metrics(" , ")


def test_evaluate_appends_a_record(tmp_path):
    run = str(tmp_path / "run")
    gan = kgan.fit(dataset="gaussian", run_dir=run, epochs=1, batch_size=100, verbose=False)
    record = evaluate(gan, "gaussian", ["swd", "moments"], num_samples=500, record_dir=run,
                      verbose=False)
    assert record["num_real"] == record["num_fake"] == 500 and record["step"] == 10
    with open(os.path.join(run, "metrics.jsonl")) as f:
        saved = [json.loads(line) for line in f]
    assert saved == [record]
    assert {"swd", "mean_error", "cov_error", "reference"} <= set(record)


def test_feature_metrics_refuse_points():
    points = kgan.data.gaussian_points(10)
    with pytest.raises(KganError, match="fid, kid and pr compare images"):
        compute_metrics(points, points, ["fid"])


def test_fit_with_evaluation_keeps_the_best_checkpoint(tmp_path):
    run = tmp_path / "run"
    kgan.fit(dataset="gaussian", run_dir=str(run), epochs=3, batch_size=100, eval_every=1,
             eval_samples=200, verbose=False)
    with open(run / "metrics.jsonl") as f:
        records = [json.loads(line) for line in f]
    assert [(r["kimg"], r["step"]) for r in records] == [(1, 10), (2, 20), (3, 30)]
    assert all(0 < r["diversity_ratio"] for r in records)
    best = min(records, key=lambda record: record["swd"])
    assert keras.saving.load_model(run / "checkpoints" / "best.keras").step == best["step"]


def test_evaluation_callback_warns_of_collapse(tmp_path, capsys):
    gan = make_gaussian_gan()
    kernel, bias = gan.generator.get_weights()
    gan.generator.set_weights([np.zeros_like(kernel), bias])  # every z -> one point
    callback = Evaluation(RunDir(str(tmp_path)), kgan.data.gaussian_points(100), Cadence(1, 100))
    callback.set_model(gan)
    callback.evaluate(step=10)
    err = capsys.readouterr().err
    assert "at 1 kimg the samples vary 0.00 times as much as the data (below" in err
    assert "try --diffaugment" in err
    assert (tmp_path / "checkpoints" / "best.keras").is_file()
    callback.evaluate(step=20)  # once is enough
    assert capsys.readouterr().err == ""


def test_a_conditional_collapse_is_measured_within_classes_and_advises_mode_seeking(tmp_path,
                                                                                    capsys):
    from kgan.nets import NETWORKS

    generator, discriminator = NETWORKS["gaussian"](2, (2,), num_classes=3)
    gan = kgan.GAN(generator, discriminator, latent_dim=2, num_classes=3, seed=0)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    # Every weight 0: one point for every latent vector and class.
    gan.generator.set_weights([np.zeros_like(w) for w in gan.generator.get_weights()])
    points, labels = kgan.data.mixture_points(300)
    callback = Evaluation(RunDir(str(tmp_path)), points[labels < 3], Cadence(1, 100),
                          real_labels=labels[labels < 3])
    callback.set_model(gan)
    callback.evaluate(step=10)
    err = capsys.readouterr().err
    assert "times as much as the data within a class" in err
    assert "Try --mode-seeking 0.3" in err


def test_evaluation_keeps_the_best_epochs_weights_not_the_last(tmp_path):
    gan = make_gaussian_gan()
    real = kgan.data.gaussian_points(500)
    callback = Evaluation(RunDir(str(tmp_path)), real, Cadence(1, 100))
    callback.set_model(gan)
    kernel, bias = gan.generator.get_weights()
    # z @ K + b with K = L^T and L L^T the data's covariance matches the data's moments.
    good = [np.linalg.cholesky(np.cov(real.T)).T.astype("float32"), real.mean(0).astype("float32")]
    for epoch, weights in enumerate([[kernel, bias], good, [np.zeros_like(kernel), bias]]):
        gan.generator.set_weights(weights)
        callback.evaluate(step=10 * (epoch + 1))
    with open(tmp_path / "metrics.jsonl") as f:
        scores = [json.loads(line)["swd"] for line in f]
    assert scores[1] < min(scores[0], scores[2])
    best = keras.saving.load_model(tmp_path / "checkpoints" / "best.keras")
    assert_weights_equal(best.generator.get_weights(), good)


def test_evaluation_of_a_resumed_run_must_beat_its_earlier_best(tmp_path):
    gan = make_gaussian_gan()
    # The records a resumed run keeps: its best SWD so far, and a reference score that never
    # counts as one to beat.
    records = [{"step": 5, "reference": "train", "swd": 1e-9},
               {"step": 6, "reference": "test", "swd": 0.0}, {"step": 7, "reference": "train"}]
    callback = Evaluation(RunDir(str(tmp_path)), kgan.data.gaussian_points(100), Cadence(1, 100),
                          records=records)
    assert callback.best == 1e-9
    callback.set_model(gan)
    callback.evaluate(step=10)
    assert not (tmp_path / "checkpoints" / "best.keras").exists()
    assert Evaluation(RunDir(str(tmp_path)), kgan.data.gaussian_points(100),
                      Cadence(1, 100)).best is None


def test_swd_of_unequal_sample_counts_is_a_kgan_error():
    with pytest.raises(kgan.KganError, match="equal sample counts"):
        sliced_wasserstein(np.zeros((4, 2)), np.zeros((5, 2)))
