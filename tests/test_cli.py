import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from kgan import backend, sampling, train
from kgan.cli import main
from kgan.data import gaussian_points
from kgan.evaluate import point_moments

FAST = ["--dataset", "gaussian", "--epochs", "2", "--batch-size", "100", "--quiet"]


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    # A user mistake never shows a traceback: the only exception that may leave the command is
    # the SystemExit of a non-zero exit code (CliRunner keeps any other in result.exception).
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception, result.output)
    return result


def assert_one_line_error(result, text):
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("Error: ") and text in lines[0], result.output


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    run = str(tmp_path_factory.mktemp("cli") / "run")
    result = invoke("fit", *FAST, "--run-dir", run)
    assert result.exit_code == 0, result.output
    return run


def test_fit_writes_a_run(trained_run):
    for name in ("config.json", "model.keras", "history.csv", "losses.png"):
        assert os.path.isfile(os.path.join(trained_run, name))


def test_fit_prints_progress_and_the_moments(tmp_path):
    result = invoke("fit", "--dataset", "gaussian", "--epochs", "1", "--batch-size", "100",
                    "--run-dir", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    assert "epoch 1/1" in result.output and "examples/s" in result.output
    moments = point_moments(sampling.load_gan(str(tmp_path / "r")), gaussian_points(), seed=0)
    assert f"error {moments['mean_error']:.3f}" in result.output
    assert f"relative error {moments['cov_error']:.3f}" in result.output


def test_sample_npy_matches_generate(trained_run, tmp_path):
    out = str(tmp_path / "s.npy")
    result = invoke("sample", trained_run, "-n", "10", "--seed", "5", "--out", out)
    assert result.exit_code == 0, result.output
    samples = np.load(out)
    assert samples.shape == (10, 2)
    gan = sampling.load_gan(trained_run)
    np.testing.assert_allclose(samples, gan.generate(10, seed=5), atol=1e-6)


def test_sample_png_from_a_keras_file(trained_run, tmp_path):
    out = str(tmp_path / "s.png")
    result = invoke("sample", os.path.join(trained_run, "model.keras"), "-n", "50", "--out", out)
    assert result.exit_code == 0, result.output
    # A 4.5 x 4.5 inch scatter at 100 dpi, with more than the background's colour.
    with Image.open(out) as image:
        assert image.size == (450, 450)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16)) > 2


def test_unknown_dataset():
    assert_one_line_error(invoke("fit", "--dataset", "cifar11"), "unknown dataset 'cifar11'")


def test_unknown_preset(tmp_path):
    assert_one_line_error(invoke("fit", "--preset", "nope", "--run-dir", str(tmp_path)),
                          "unknown preset 'nope'")


def test_negative_epochs():
    assert_one_line_error(invoke("fit", "--epochs", "-3"), "--epochs")


def test_unwritable_run_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert_one_line_error(invoke("fit", *FAST, "--run-dir", str(blocker / "run")),
                          "cannot create run directory")


def test_existing_run_is_not_overwritten(trained_run):
    assert_one_line_error(invoke("fit", *FAST, "--run-dir", trained_run), "already holds a run")


@pytest.mark.parametrize("option", [["--lr-d", "0.1"], ["--seed", "0"], ["--eval-every", "1"],
                                    ["--deterministic"], ["--checkpoint-minutes", "5"]])
def test_resume_refuses_every_option_but_epochs_strategy_and_replicas(trained_run, option):
    # Even an option given with its default value: the run's config.json decides.
    assert_one_line_error(invoke("fit", "--resume", trained_run, *option), f"drop {option[0]}")


def test_resume_of_a_folder_that_is_no_run(tmp_path):
    assert_one_line_error(invoke("fit", "--resume", str(tmp_path)), "not a kgan run directory")


def test_sample_bad_output_and_bad_source(trained_run, tmp_path):
    assert_one_line_error(invoke("sample", trained_run, "--out", str(tmp_path / "x.txt")),
                          "--out must end in .png, .npy or /")
    assert_one_line_error(invoke("sample", str(tmp_path), "--out", str(tmp_path / "x.npy")),
                          "holds no model.keras")


def test_another_keras_backend_is_refused_in_one_line():
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", "import kgan"], env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: kgan needs Keras' TensorFlow backend but KERAS_BACKEND=jax; "
        "unset it or set KERAS_BACKEND=tensorflow."
    )


def test_regularisation_options_reach_the_run_config(tmp_path):
    from imagedata import write_image_folder

    write_image_folder(tmp_path / "images", count=8)
    run = tmp_path / "run"
    result = invoke("fit", "--dataset", f"folder:{tmp_path / 'images'}", "--preset", "mnist",
                    "--epochs", "1", "--batch-size", "8", "--diffaugment", "--spectral-norm",
                    "--ema", "0.99", "--loss", "hinge", "--d-steps", "2", "--precision", "fp32",
                    "--mode-seeking", "0.5", "--class-input", "batchnorm", "--run-dir", str(run),
                    "--quiet")
    assert result.exit_code == 0, result.output
    import json

    preset = json.loads((run / "config.json").read_text())["preset"]
    assert preset["augment"] == "color,translation,cutout" and preset["spectral_norm"] is True
    assert (preset["ema"], preset["loss"], preset["d_steps"]) == (0.99, "hinge", 2)
    assert preset["mode_seeking"] == 0.5 and preset["class_input"] == "batchnorm"


@pytest.mark.parametrize("options, augment, ema", [
    ((), None, None),  # absent: the preset's own
    (("--diffaugment",), "color,translation,cutout", None),  # alone: the full policy
    (("--diffaugment", "", "--ema", "0"), "", 0.0),  # empty and zero: off, not the preset's
])
def test_diffaugment_and_ema_options_reach_fit_as_given(monkeypatch, options, augment, ema):
    given = {}
    monkeypatch.setattr(train, "fit", lambda **kwargs: given.update(kwargs))
    result = invoke("fit", "--dataset", "gaussian", *options)
    assert result.exit_code == 0, result.output
    assert (given["augment"], given["ema"]) == (augment, ema)


def _kgan_process(*args, env=None):
    """`kgan ARGS` in a fresh process with standard error merged into standard output, in the
    environment of a new user's shell plus `env`."""
    base = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", "from kgan.cli import main; main()", *args],
                          env={**base, **(env or {})}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)


@pytest.mark.parametrize("env", [{}, {"TF_CPP_MIN_LOG_LEVEL": "3"}], ids=["unset", "level-3"])
def test_the_first_line_of_a_run_is_kgans_own(tmp_path, env):
    run = _kgan_process("fit", "--dataset", "gaussian", "--epochs", "1", "--run-dir",
                        str(tmp_path / "run"), env=env)
    assert run.returncode == 0, run.stdout
    lines = run.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("epoch 1/1"))
    assert [line for line in lines[:first] if backend.severity(line) is not None] == [], run.stdout


def test_verbose_shows_the_start_up_lines_kgan_keeps_back(tmp_path):
    verbose = _kgan_process("--verbose", "fit", *FAST, "--run-dir", str(tmp_path / "b"))
    assert verbose.returncode == 0, verbose.stdout
    # TensorFlow 2.21 prints absl's pre-initialisation line on every start.
    assert "absl::InitializeLog()" in verbose.stdout


# What TensorFlow decided as it loaded, and what the environment holds afterwards.
_ONEDNN_STATE = ("import kgan, os; from tensorflow.python.util import _pywrap_util_port as port; "
                 "print(port.IsMklEnabled(), os.environ.get('TF_ENABLE_ONEDNN_OPTS'))")


@pytest.mark.skipif(platform.machine().lower() not in backend._ONEDNN_MACHINES,
                    reason="oneDNN is turned on for x86 CPUs only")
@pytest.mark.parametrize("env, state", [
    ({}, "True None"),
    ({"TF_ENABLE_ONEDNN_OPTS": "0"}, "False 0"),
], ids=["unset", "user-off"])
def test_kgan_loads_tensorflow_with_onednn_unless_the_user_chose(env, state):
    base = {k: v for k, v in os.environ.items() if k != backend.ONEDNN_ENV}
    printed = subprocess.run([sys.executable, "-c", _ONEDNN_STATE], env={**base, **env},
                             stdout=subprocess.PIPE, text=True, check=True).stdout
    # kgan's own setting is gone once TensorFlow has read it: child processes choose again.
    assert printed.split() == state.split()


CAPTURED = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796321834.373035    2410 cpu_feature_guard.cc:227] This binary is optimized\n"
    "To enable the following instructions: AVX2, rebuild TensorFlow.\n"
    "/site-packages/x.py:3: DeprecationWarning: a Python warning\n"
    "2025-09-17 14:44:05.176998: E external/cuda_fft.cc:467] Unable to register cuFFT factory\n"
    "E0000 00:00:1796321837.993562    2410 cuda_platform.cc:52] failed call to cuInit\n"
)


@pytest.mark.parametrize("level, shown", [
    (3, [3]),
    (2, [3, 4, 5]),
    (1, [0, 3, 4, 5]),
    (0, [0, 1, 2, 3, 4, 5]),
])
def test_start_up_lines_below_the_level_are_kept_back_with_their_continuations(level, shown):
    # Line 2 continues line 1's message; line 3 is Python's, always shown.
    lines = CAPTURED.splitlines(keepends=True)
    kept, held = backend.start_up_lines_kept(CAPTURED, level)
    assert kept == [lines[i] for i in shown]
    assert held == [line for i, line in enumerate(lines) if i not in shown]
