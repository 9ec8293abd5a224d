"""Same seed, same run: weights are a function of the seed, and `kgan fit` in separate processes
gives bit-equal runs, also when a run is killed and resumed."""

import itertools
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from conftest import assert_weights_equal
from imagedata import write_image_folder

from kgan.nets import NETWORKS
from kgan.rundir import RunDir

FAMILIES = {"gaussian": (2, (2,)), "mlp": (100, (28, 28, 1)), "dcgan28": (100, (28, 28, 1)),
            "dcgan64": (100, (64, 64, 3))}
# Each process prints the initial weights of every family after keras.utils.set_random_seed(3),
# as user code would build them.
_INITIAL_WEIGHTS = """
import sys, keras, numpy as np
import kgan
from kgan.nets import NETWORKS
from test_reproducibility import FAMILIES
keras.utils.set_random_seed(3)
arrays = {f"{family}-{i}": w for family, args in FAMILIES.items()
          for i, w in enumerate(w for net in NETWORKS[family](*args) for w in net.get_weights())}
np.savez(sys.argv[1], **arrays)
"""


def _python(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__)}
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def _kgan(*args):
    """Runs `kgan ARGS` in a fresh process and returns it, started."""
    return _python("-c", "from kgan.cli import main; main()", *args)


def _finish(process):
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return output


def _weights(run):
    return keras.saving.load_model(os.path.join(run, "model.keras")).get_weights()


@pytest.mark.parametrize("family, args", [
    ("gaussian", (2, (2,), (8, 8, 8))),  # two 8x8 hidden kernels
    ("dcgan28", FAMILIES["dcgan28"]),
    ("dcgan64", FAMILIES["dcgan64"]),  # BatchNorm gammas of 64 to 512 in both networks
])
def test_two_layers_of_the_same_shape_start_different(family, args):
    keras.utils.set_random_seed(0)
    weights = [w for network in NETWORKS[family](*args) for w in network.get_weights()
               if w.std() > 0]  # the randomly initialised ones
    same_shape = [(a, b) for a, b in itertools.combinations(weights, 2) if a.shape == b.shape]
    assert same_shape
    for a, b in same_shape:
        assert not np.array_equal(a, b)


def test_the_seed_fixes_the_weights_in_two_processes(tmp_path):
    files = [str(tmp_path / f"{i}.npz") for i in range(2)]
    for process in [_python("-c", _INITIAL_WEIGHTS, file) for file in files]:
        _finish(process)
    first, second = (np.load(file) for file in files)
    assert set(first) == set(second) and len(first) > 20
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    keras.utils.set_random_seed(4)
    other = [w for net in NETWORKS["dcgan28"](*FAMILIES["dcgan28"]) for w in net.get_weights()]
    assert not np.array_equal(other[0], first["dcgan28-0"])


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    write_image_folder(folder, count=64)
    return folder


def _fit_args(images, run):
    # A DCGAN with BatchNorm: 8 batches an epoch, a time checkpoint after nearly every batch.
    return ["fit", "--dataset", f"folder:{images}", "--preset", "mnist", "--batch-size", "8",
            "--epochs", "3", "--seed", "5", "--deterministic", "--checkpoint-minutes", "0.0001",
            "--quiet", "--run-dir", str(run)]


@pytest.fixture(scope="module")
def straight_runs(images, tmp_path_factory):
    """Two uninterrupted deterministic runs of the same command, run side by side."""
    runs = [tmp_path_factory.mktemp("straight") / "run" for _ in range(2)]
    for process in [_kgan(*_fit_args(images, run)) for run in runs]:
        _finish(process)
    return runs


@pytest.mark.slow
def test_the_same_command_gives_a_bit_equal_run(straight_runs):
    first, second = straight_runs
    assert (first / "history.csv").read_bytes() == (second / "history.csv").read_bytes()
    assert_weights_equal(_weights(first), _weights(second))


def _kill_when(process, condition):
    """SIGKILLs `process` as soon as `condition()` holds; fails if it ends first."""
    while not condition():
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.slow
def test_a_run_killed_mid_epoch_resumes_bit_equal(images, straight_runs, tmp_path):
    run = tmp_path / "run"

    def mid_epoch_checkpoint():
        return [c for c in RunDir(str(run)).checkpoints() if c.position.batch]

    _kill_when(_kgan(*_fit_args(images, run)), mid_epoch_checkpoint)
    # Where the kill came late, drop what was saved after the first mid-epoch checkpoint, as
    # if the process had died right after writing it.
    first = mid_epoch_checkpoint()[0]
    for checkpoint in RunDir(str(run)).checkpoints():
        if checkpoint.position > first.position:
            os.remove(checkpoint.path)
    assert not (run / "model.keras").exists()

    output = _finish(_kgan("fit", "--resume", str(run)))
    assert f"batch {first.position.batch} from" in output
    assert_weights_equal(_weights(run), _weights(straight_runs[0]))
    assert (run / "history.csv").read_bytes() == (straight_runs[0] / "history.csv").read_bytes()


@pytest.mark.slow
def test_a_run_killed_before_its_first_checkpoint_is_not_stuck(images, straight_runs, tmp_path):
    run = tmp_path / "run"
    _kill_when(_kgan(*_fit_args(images, run)), (run / "config.json").exists)
    assert RunDir(str(run)).latest_checkpoint() is None

    refused = _kgan(*_fit_args(images, run))
    output, _ = refused.communicate(timeout=300)
    assert refused.returncode == 1
    assert f"already holds a run; continue it with --resume {run}" in output

    output = _finish(_kgan("fit", "--resume", str(run)))
    assert "has no checkpoint yet: starting it from the beginning" in output
    assert_weights_equal(_weights(run), _weights(straight_runs[0]))
    assert (run / "history.csv").read_bytes() == (straight_runs[0] / "history.csv").read_bytes()
