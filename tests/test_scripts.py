"""The benchmark scripts run (tiny sizes), so they cannot rot; no speed is asserted."""

import json
import os
import subprocess
import sys

import pytest
from imagedata import write_class_folder, write_image_folder

ROOT = os.path.join(os.path.dirname(__file__), os.pardir)


def test_bench_runs_two_steps_at_batch_4(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "bench.py"), "--batch-size", "4",
         "--steps", "2", "--rounds", "1", "--warmup", "1", "--pipeline-images", "16", "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    rates = json.loads(out.read_text())["images_per_sec"]
    assert set(rates) == {"kgan", "kgan-fp32", "keras-fp32", "d2l-eager", "input-pipeline",
                          "export-sample"}
    assert all(rate > 0 for rate in rates.values())
    assert "kgan/keras-fp32" in result.stdout


def _script(name, *args):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", name), *map(str, args)],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_recipe_study_scores_candidates_beside_their_baselines(tmp_path):
    write_image_folder(tmp_path / "images", 32)
    out, runs = tmp_path / "study.json", tmp_path / "runs"
    command = ("recipe_study.py", f"folder:{tmp_path / 'images'}", "--preset", "mnist",
               "--epochs", 1, "--seeds", 0, "--set", "batch_size=8", "--candidate", "plain",
               "--candidate", "averaged", "ema=0.9", "lr_d=4e-4", "epochs=2", "-n", 8,
               "--runs", runs, "--out", out)
    _script(*command)
    study = json.loads(out.read_text())
    assert set(study["summary"]) == {"real halves", "mnist untrained", "plain", "averaged",
                                     "averaged/raw"}
    # A candidate's own epochs override --epochs.
    assert study["runs"]["plain-0"]["steps"] == 4 and study["runs"]["averaged-0"]["steps"] == 8
    config = json.loads((runs / "averaged-0" / "config.json").read_text())["preset"]
    assert (config["ema"], config["lr_d"], config["batch_size"]) == (0.9, 4e-4, 8)
    summary = study["summary"]
    # Two halves of the same 16 images are closer than an untrained generator is to them.
    assert 0 < summary["real halves"]["swd_mean"] < summary["mnist untrained"]["swd_mean"]
    assert all(row["diversity_mean"] > 0 for row in summary.values())
    # The same command again reuses the finished runs: same scores, the models left as they were.
    model = runs / "plain-0" / "model.keras"
    written = model.stat().st_mtime_ns
    _script(*command)
    assert json.loads(out.read_text())["scores"] == study["scores"]
    assert model.stat().st_mtime_ns == written


def test_gaussian_quality_runs_two_losses_on_one_seed(tmp_path):
    out = tmp_path / "gaussian.json"
    _script("gaussian_quality.py", "--seeds", 3, "--losses", "hinge,lsgan", "--epochs", 2,
            "--set", "ema=0.9", "--set", "ema_rampup=0", "--out", out)
    results = json.loads(out.read_text())
    assert set(results) == {"hinge", "lsgan"}
    # The script's numbers are the run's: the same seeded run here gives the same moments.
    import kgan
    from kgan.data import gaussian_points
    from kgan.evaluate import point_moments

    gan = kgan.fit(dataset="gaussian", run_dir=str(tmp_path / "hinge"), seed=3, loss="hinge",
                   epochs=2, ema=0.9, ema_rampup=0, verbose=False)
    expected = point_moments(gan, gaussian_points(), 3)
    assert results["hinge"]["3"] == pytest.approx(
        {key: expected[key] for key in ("mean_error", "cov_error")})


def test_swd_baselines_scores_a_run_beside_its_baselines(tmp_path):
    import kgan

    write_image_folder(tmp_path / "images", 16)
    run = tmp_path / "run"
    kgan.fit(dataset=f"folder:{tmp_path / 'images'}", preset="mnist", run_dir=str(run),
             epochs=1, batch_size=8, verbose=False)
    out = tmp_path / "swd.json"
    _script("swd_baselines.py", run, "-n", 8, "--out", out)
    results = json.loads(out.read_text())
    assert results["n"] == 8 and results["step"] == 2
    # Two halves of the same 16 images are closer than an untrained generator is to them.
    assert 0 < results["real-vs-real"]["swd"] < results["untrained"]["swd"]


def test_recipe_study_scores_a_conditional_candidate_by_class(tmp_path):
    write_class_folder(tmp_path / "shapes", per_class=8)
    out = tmp_path / "study.json"
    _script("recipe_study.py", f"folder:{tmp_path / 'shapes'}", "--preset", "mnist", "--epochs", 1,
            "--seeds", 0, "--set", "batch_size=8", "--set", "sample_shape=[28, 28, 3]",
            "--candidate", "cond", "conditional=true", "-n", 12, "--runs", tmp_path / "runs",
            "--out", out)
    summary = json.loads(out.read_text())["summary"]
    # Both the run and its untrained baseline are scored by class, against one classifier that
    # tells the three shapes apart on held-out real images.
    for row in (summary["cond"], summary["mnist untrained"]):
        assert row["classifier_accuracy_mean"] > 0.9
        assert {"label_accuracy_mean", "swd_intra_mean", "diversity_in_class_mean"} <= set(row)
    assert summary["cond"]["swd_intra_mean"] > 0
    assert (tmp_path / "runs" / "classifier.keras").is_file()


def test_overhead_times_the_steps_inside_a_fit(tmp_path):
    out = tmp_path / "overhead.json"
    stdout = _script("overhead.py", "--images", 16, "--epochs", 2, "--set", "batch_size=8",
                     "--runs", tmp_path / "runs", "--out", out)
    result = json.loads(out.read_text())
    assert result["steps"] == 4
    assert 0 < result["step_seconds"] < result["fit_seconds"]
    assert result["outside_seconds"] == pytest.approx(
        result["fit_seconds"] - result["step_seconds"])
    assert result["set_up_seconds"] + result["around_seconds"] == pytest.approx(
        result["outside_seconds"])
    assert 0 < result["set_up_seconds"] and 0 < result["around_seconds"]
    assert "around the steps" in stdout


@pytest.mark.slow
def test_overhead_pairs_take_turns_between_a_first_run_and_a_cached_one(tmp_path):
    write_image_folder(tmp_path / "images", 16)
    out = tmp_path / "pairs.json"
    stdout = _script("overhead.py", f"folder:{tmp_path / 'images'}", "--pairs", 2, "--epochs", 1,
                     "--set", "batch_size=8", "--out", out)
    result = json.loads(out.read_text())
    first, cached = result["runs"]["first run"], result["runs"]["cached"]
    assert [run["steps"] for run in first + cached] == [2] * 4
    # Every first run decodes into an empty cache of its own; the cached runs share one.
    assert len({run["cache"] for run in first}) == 2 and len({run["cache"] for run in cached}) == 1
    assert not {run["cache"] for run in first} & {run["cache"] for run in cached}
    shares = sorted(100 * run["outside_share"] for run in cached)
    assert result["summary"]["cached"] == {"median_outside_percent": pytest.approx(
        sum(shares) / 2), "min_outside_percent": shares[0], "max_outside_percent": shares[1]}
    assert stdout.count("first run: kgan.fit") == 2 and "cached: outside the steps" in stdout


@pytest.mark.slow
def test_speed_check_times_both_processes(tmp_path):
    out = tmp_path / "speed.json"
    _script("speed_check.py", "--images", 16, "--epochs", 1, "--batch-size", 8, "--out", out)
    result = json.loads(out.read_text())
    assert [len(v) for v in result["seconds"].values()] == [1, 1]
    assert result["kgan_speedup"] == pytest.approx(
        result["seconds"]["keras-fp32"][0] / result["seconds"]["kgan"][0])


def test_truncation_study_measures_the_diversity_a_run_keeps(tmp_path):
    import kgan
    from kgan.callbacks import diversity

    run = tmp_path / "g.keras"
    gan = kgan.GAN(*kgan.nets.NETWORKS["gaussian"](2, (2,)), latent_dim=2, seed=0)
    gan.compile()
    gan.save(run)
    out = tmp_path / "t.json"
    printed = _script("truncation_study.py", run, "--psi", "1,0.5", "-n", 64, "--seeds", "3",
                      "--out", out)
    numbers = json.loads(out.read_text())[str(run)]
    # The script's numbers are the diversity of the same samples, computed here.
    for psi in (1.0, 0.5):
        expected = diversity(gan.generate(64, seed=3, truncation=psi), seed=3)
        assert numbers["diversity"][str(psi)] == [pytest.approx(expected, rel=1e-5)]
    assert numbers["falls"] is True and "falls with every step down in psi: True" in printed
