"""The run configuration: a typed record that is JSON only in the run directory."""

import json

import pytest

import kgan
from kgan.errors import KganError
from kgan.runconfig import CADENCE_UNIT, Evaluation, RunConfig
from kgan.rundir import RunDir


@pytest.mark.parametrize("classes", [None, ("a", "b")])
def test_run_config_round_trips_through_config_json(tmp_path, classes):
    config = RunConfig("folder:/data", kgan.get_preset("mnist").with_overrides(epochs=3), seed=4,
                       data_dir="/d", tensorboard=True, evaluation=Evaluation(10.0, "swd", 64),
                       classes=classes)
    run = RunDir(str(tmp_path / "run"))
    run.create()
    run.write_config(config)
    assert run.read_config() == config
    written = json.loads((tmp_path / "run" / "config.json").read_text())
    assert written["cadence"] == CADENCE_UNIT and written["preset"]["epochs"] == 3
    assert ("classes" in written) == (classes is not None)


def test_an_older_config_reads_in_epochs_and_converts_to_kimg():
    preset = kgan.get_preset("gaussian").with_overrides(save_every=2, eval_every=1)
    old = {"dataset": "gaussian", "seed": 0, "data_dir": None, "tensorboard": False,
           "preset": preset.get_config()}
    config = RunConfig.from_json(old)
    assert config.cadence == "epochs" and config.evaluation == Evaluation()
    converted = config.in_kimg(960)
    assert converted.cadence == CADENCE_UNIT
    assert converted.preset.save_every == pytest.approx(1.92)
    assert converted.preset.eval_every == pytest.approx(0.96)
    assert converted.in_kimg(960) == converted


@pytest.mark.parametrize("evaluation, message", [
    ({"every": -1}, "--eval-every must be 0 or more"),
    ({"samples": 1}, "--eval-samples at least 2"),
    ({"metric": "fid"}, "--eval-metric must be one of swd"),
])
def test_bad_evaluation_settings_are_kgan_errors(evaluation, message):
    with pytest.raises(KganError, match=message):
        Evaluation(**evaluation)


def test_a_config_that_is_not_a_runs_is_one_kgan_error():
    with pytest.raises(KganError, match="not a kgan run's"):
        RunConfig.from_json({"dataset": "gaussian"})
    with pytest.raises(KganError, match="not a kgan run's"):
        RunConfig.from_json({"dataset": "gaussian", "colour": 1,
                             "preset": kgan.get_preset("gaussian").get_config()})
