"""The README's `model.fit` example runs exactly as written."""

import os
import re

import numpy as np

from kgan.data import gaussian_points
from kgan.data.gaussian import MIXTURE_MEANS

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def readme_example(heading="### 2. `model.fit` in your own code"):
    with open(README) as f:
        text = f.read()
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_example_trains_with_model_fit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(readme_example(), "README.md", "exec"), namespace)  # noqa: S102 -- our README

    history, samples = namespace["history"].history, namespace["samples"]
    assert len(history["d_loss"]) == 100
    assert all(np.isfinite(history[name]).all() for name in ("d_loss", "g_loss"))
    assert samples.shape == (1000, 2)
    # A hundred short epochs bring the samples' mean near the data's (1, 2).
    assert np.linalg.norm(samples.mean(axis=0) - gaussian_points().mean(axis=0)) < 0.5
    assert os.path.isfile(tmp_path / "gaussian.keras")
    typical, frames, gan = namespace["typical"], namespace["frames"], namespace["gan"]
    # The generator is linear: halving the latent vectors halves the samples' spread.
    np.testing.assert_allclose(typical.std(axis=0), 0.5 * samples.std(axis=0), rtol=1e-3)
    assert frames.shape == (8, 2)
    np.testing.assert_allclose(frames[[0, -1]], np.concatenate(
        [gan.generate(1, seed=1), gan.generate(1, seed=5)]), atol=1e-6)


def test_readme_conditional_example_draws_the_class_asked_for():
    namespace = {}
    exec(compile(readme_example("## Conditional GANs"), "README.md", "exec"), namespace)  # noqa: S102

    west = namespace["west"]
    assert west.shape == (500, 2)
    assert np.linalg.norm(west.mean(axis=0) - MIXTURE_MEANS[2]) < 0.2
