import numpy as np
import pytest

import kgan
from kgan.data import gaussian_points, training_dataset
from kgan.errors import KganError


def test_gaussian_points_follow_the_reference_transform():
    points = gaussian_points(20_000, seed=1)
    np.testing.assert_allclose(points.mean(axis=0), [1.0, 2.0], atol=0.05)
    a = np.array([[1, 2], [-0.1, 0.5]])
    np.testing.assert_allclose(np.cov(points, rowvar=False), a.T @ a, atol=0.2)
    np.testing.assert_array_equal(gaussian_points(), gaussian_points())


def _batches(dataset, count):
    return [batch.numpy() for batch in dataset.take(count)]


def test_each_epoch_is_a_permutation_in_full_batches():
    examples = np.arange(10, dtype=np.float32)[:, None]
    dataset, steps = training_dataset(examples, batch_size=3, seed=0)
    assert steps == 3
    epochs = _batches(dataset, 6)
    assert all(batch.shape == (3, 1) for batch in epochs)
    first, second = np.concatenate(epochs[:3]), np.concatenate(epochs[3:])
    assert len(set(first.ravel())) == 9 and len(set(second.ravel())) == 9
    assert not np.array_equal(first, second)


def test_a_resumed_pipeline_serves_the_same_batches():
    examples = np.arange(40, dtype=np.float32)[:, None]
    full, steps = training_dataset(examples, batch_size=4, seed=7)
    resumed, _ = training_dataset(examples, batch_size=4, seed=7, start_epoch=2)
    np.testing.assert_array_equal(
        np.stack(_batches(full, 3 * steps)[2 * steps :]), np.stack(_batches(resumed, steps))
    )
    other, _ = training_dataset(examples, batch_size=4, seed=8)
    assert not np.array_equal(np.stack(_batches(full, steps)), np.stack(_batches(other, steps)))


def test_uint8_images_are_scaled_to_minus_one_one():
    images = np.array([[[[0]], [[255]]]], np.uint8).repeat(2, axis=0)  # [2, 2, 1, 1]
    dataset, _ = training_dataset(images, batch_size=2, seed=0)
    batch = _batches(dataset, 1)[0]
    assert batch.dtype == np.float32
    assert batch.min() == -1.0 and batch.max() == 1.0


def test_batch_larger_than_data_is_an_error():
    with pytest.raises(KganError, match="larger than the data set"):
        training_dataset(np.zeros((5, 2), np.float32), batch_size=8, seed=0)


def test_load_dataset_and_unknown_name():
    dataset, steps = kgan.load_dataset("gaussian", batch_size=100, sample_shape=(2,))
    assert steps == 10
    assert _batches(dataset, 1)[0].shape == (100, 2)
    with pytest.raises(KganError, match="unknown dataset 'cifar'"):
        kgan.load_dataset("cifar", batch_size=8, sample_shape=(2,))
