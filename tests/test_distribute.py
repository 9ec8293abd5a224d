"""Distribution strategies on this CPU: MirroredStrategy on 2 logical devices, and a 2-process
MultiWorkerMirroredStrategy run on 127.0.0.1 ports. Each runs in fresh processes."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import kgan
from kgan import distribute
from kgan.errors import KganError

SCRIPT = os.path.join(os.path.dirname(__file__), "distributed_run.py")


def run_script(*args, env=None, timeout=300):
    result = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                            env=env, timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("networks", ["gaussian", "dcgan"])
def test_mirrored_step_equals_a_single_device_step(networks):
    # dcgan: the 28x28 DCGAN with synchronized BatchNorm.
    result = run_script("mirrored", networks)
    assert result["replicas"] == 2
    assert result["max_weight_gap"] < 1e-5, result["worst_weight"]
    assert result["noise_gap"] > 0.1  # the two replicas drew different noise
    for name, value in result["single"].items():
        assert result["logged"][name] == pytest.approx(value, abs=1e-5), name


def test_every_training_option_runs_mirrored_in_bfloat16():
    result = run_script("options")
    assert result == {"replicas": 2, "d_steps": 4, "finite": True}


def test_a_conditional_gan_runs_every_option_mirrored_in_bfloat16():
    result = run_script("options", "conditional")
    assert result == {"replicas": 2, "d_steps": 2, "finite": True}


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_train_identically_and_only_the_chief_writes(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    processes = []
    try:
        for index in range(2):
            env = {**os.environ, "TF_CONFIG": json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}})}
            processes.append(subprocess.Popen(
                [sys.executable, SCRIPT, "multiworker", str(tmp_path / f"run{index}"),
                 str(tmp_path / f"weights{index}.npz")],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outputs = [process.communicate(timeout=300) for process in processes]
    finally:
        for process in processes:  # never leave a worker (and its port) behind
            if process.poll() is None:
                process.kill()
                process.wait()
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err[-3000:]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert [r["chief"] for r in reports] == [True, False]
    assert reports[0]["step"] == reports[1]["step"] == 20  # 1,000 points / 100, two epochs
    first, second = (np.load(tmp_path / f"weights{i}.npz") for i in range(2))
    assert len(first.files) > 0
    for name in first.files:
        np.testing.assert_array_equal(first[name], second[name])
    chief_run = tmp_path / "run0"
    for name in ("config.json", "model.keras", "history.csv", "checkpoints/epoch-0002.keras"):
        assert (chief_run / name).is_file(), name
    assert not (tmp_path / "run1").exists()


def test_strategy_choice():
    default = distribute.make_strategy("default")
    assert default is tf.distribute.get_strategy() and default.num_replicas_in_sync == 1
    assert distribute.make_strategy("auto") is default  # no GPUs here
    with pytest.raises(KganError, match="unknown strategy 'ring'"):
        distribute.make_strategy("ring")


def test_multiworker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(KganError, match="needs the TF_CONFIG variable"):
        distribute.make_strategy("multiworker")


def test_worker_shards_cover_each_batch_once():
    examples = np.arange(24, dtype=np.float32)[:, None]
    whole, steps = kgan.data.training_dataset(examples, batch_size=6, seed=1)
    shards = [kgan.data.training_dataset(examples, batch_size=6, seed=1, shard=(i, 3))[0]
              for i in range(3)]
    for batch, *parts in zip(whole.take(steps), *(s.take(steps) for s in shards)):
        np.testing.assert_array_equal(np.concatenate([p.numpy() for p in parts]), batch.numpy())
    with pytest.raises(KganError, match="does not split evenly over 4 workers"):
        kgan.data.training_dataset(examples, batch_size=6, seed=1, shard=(0, 4))


def test_tf_config_roles(monkeypatch):
    cluster = {"worker": ["a:1", "b:2", "c:3"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 2}}))
    assert not distribute.is_chief() and distribute.worker_shard() == (2, 3)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}}))
    assert distribute.is_chief() and distribute.worker_shard() == (0, 3)
