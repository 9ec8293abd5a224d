import numpy as np
import pytest
from imagedata import sprite, write_image_folder

from kgan.data import load_examples
from kgan.data import images as kimages
from kgan.data.images import find_images, load_image, load_image_folder, to_rgb_on_white
from kgan.errors import KganError


@pytest.mark.parametrize("kind", ["rgba", "palette"])
def test_transparent_sprites_go_on_white(kind):
    rgb = np.asarray(to_rgb_on_white(sprite(kind)))
    assert rgb.shape == (20, 20, 3)
    assert (rgb[0, 0] == 255).all()  # transparent corner -> white
    assert not (rgb[10, 10] == 255).all()  # the opaque square keeps its colour


def test_grayscale_becomes_rgb():
    rgb = np.asarray(to_rgb_on_white(sprite("gray")))
    assert rgb.shape == (20, 20, 3)
    assert (rgb[..., 0] == rgb[..., 1]).all()


def test_load_image_resizes_and_converts_channels(tmp_path):
    path = str(tmp_path / "s.png")
    sprite("rgba", size=96).save(path)
    assert load_image(path, (64, 64, 3)).shape == (64, 64, 3)
    gray = load_image(path, (28, 28, 1))
    assert gray.shape == (28, 28, 1) and gray.dtype == np.uint8


def test_folder_skips_corrupt_files_with_a_warning(tmp_path, capsys):
    write_image_folder(tmp_path, count=6, corrupt=2)
    images = load_image_folder(str(tmp_path), (28, 28, 3))
    assert images.shape == (6, 28, 28, 3) and images.dtype == np.uint8
    err = capsys.readouterr().err
    assert "broken0.png" in err and "broken1.png" in err
    assert "skipped 2 of 8 images" in err


@pytest.mark.parametrize("size, threads", [(28, 1), (64, 4)])
def test_threads_decode_large_images_and_one_thread_small_ones(tmp_path, monkeypatch, size,
                                                               threads):
    write_image_folder(tmp_path, count=6, size=size)
    paths = find_images(str(tmp_path))
    monkeypatch.setattr(kimages.os, "cpu_count", lambda: 4)
    used = []
    pool = kimages.concurrent.futures.ThreadPoolExecutor
    monkeypatch.setattr(kimages.concurrent.futures, "ThreadPoolExecutor",
                        lambda workers: used.append(workers) or pool(workers))
    images, kept = kimages.load_images(paths, (28, 28, 3))
    assert used == ([] if threads == 1 else [threads])
    # Every way of dividing the files gives the same images.
    for workers in (1, 2, 3):
        again, kept_again = kimages.load_images(paths, (28, 28, 3), workers=workers)
        np.testing.assert_array_equal(again, images)
        assert kept_again == kept and len(kept) == 6


def test_folder_dataset_name(tmp_path):
    write_image_folder(tmp_path, count=4)
    assert load_examples(f"folder:{tmp_path}", (64, 64, 3)).shape == (4, 64, 64, 3)


def test_empty_and_missing_folders_are_errors(tmp_path):
    with pytest.raises(KganError, match="holds no readable image"):
        load_image_folder(str(tmp_path), (28, 28, 1))
    with pytest.raises(KganError, match="does not exist"):
        load_image_folder(str(tmp_path / "nope"), (28, 28, 1))


def test_images_do_not_fit_a_points_preset(tmp_path):
    with pytest.raises(KganError, match="does not fit a preset that generates points"):
        load_examples(f"folder:{tmp_path}", (2,))
    with pytest.raises(KganError, match="does not fit a preset that generates images"):
        load_examples("gaussian", (28, 28, 1))
