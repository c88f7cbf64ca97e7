"""Downloading MNIST, Fashion-MNIST and CIFAR-10 into gankit's cache, checked against published checksums.

Files land in ``cache_dir()/<dataset>/`` (``$GANKIT_CACHE`` or ``~/.cache/gankit``). Each file is
streamed to a temporary file next to its destination, checked, then moved into place with
``os.replace``, so an interrupted or corrupt download never leaves a file under the final name.

Checksums of the .gz files, both verified:
- MNIST (torchvision mirror https://ossci-datasets.s3.amazonaws.com/mnist/): md5 from torchvision's
  ``MNIST.resources``; sha256 as published with guild.ai's MNIST resource and tensorflow-haskell's
  ``tensorflow-mnist-input-data`` (same bytes as yann.lecun.com / the CVDF mirror).
- Fashion-MNIST (zalandoresearch/fashion-mnist): md5 from the dataset's README (also torchvision's
  ``FashionMNIST.resources``); sha256 as published next to those md5s by Britefury/batchup and
  TFDS-style loaders. A second sha256 set (08dc20ab...) circulates in older code; it is not paired
  with the published md5s anywhere, so it is not accepted.
- CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html): only the binary version is downloaded (no
  pickles to unpickle). md5 c32a1d4ab5d03f1284b67883e8d87530 as listed on that page (and torchvision);
  sha256 c4a38c50... as published with TFDS-style and other loaders (e.g. the red-datasets Ruby gem),
  paired there with the same md5 and its size, 170,052,171 bytes. Tarballs are unpacked with
  :func:`extract_tarball`, which refuses absolute paths, ``..`` members, links and device files.
The Debian package ``dataset-fashion-mnist`` recompresses the .gz files, so its copies have other
checksums; gankit reads those through the IDX validator only and never re-verifies them here.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..errors import GankitError


@dataclass(frozen=True)
class RemoteFile:
    name: str
    md5: str | None           # None: only the sha256 is published (e.g. pytorch-fid's Inception weights)
    sha256: str


@dataclass(frozen=True)
class RemoteDataset:
    base_url: str
    url_env: str          # environment variable that overrides base_url (e.g. a local mirror)
    files: tuple[RemoteFile, ...]


REMOTE_DATASETS = {
    "mnist": RemoteDataset(
        "https://ossci-datasets.s3.amazonaws.com/mnist/", "GANKIT_MNIST_URL", (
            RemoteFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                       "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            RemoteFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432",
                       "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            RemoteFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3",
                       "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            RemoteFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c",
                       "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        )),
    "fashion-mnist": RemoteDataset(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "GANKIT_FASHION_MNIST_URL", (
            RemoteFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                       "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            RemoteFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
                       "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            RemoteFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
                       "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            RemoteFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310",
                       "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        )),
    "cifar10": RemoteDataset(
        "https://www.cs.toronto.edu/~kriz/", "GANKIT_CIFAR10_URL", (
            RemoteFile("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530",
                       "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"),
        )),
}

_CHUNK = 1 << 20


class DownloadFailed(GankitError):
    """The server could not be reached or answered with an error (as opposed to bad content)."""


def cache_dir() -> Path:
    """``$GANKIT_CACHE`` if set, else ``~/.cache/gankit``."""
    return Path(os.environ.get("GANKIT_CACHE") or Path.home() / ".cache" / "gankit").expanduser()


def base_url_for(dataset: str, base_url: str | None = None) -> str:
    remote = REMOTE_DATASETS[dataset]
    url = base_url or os.environ.get(remote.url_env) or remote.base_url
    return url if url.endswith("/") else url + "/"


def _digests(path: Path) -> tuple[str, str]:
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            md5.update(chunk)
            sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest()


def _matches(path: Path, remote: RemoteFile) -> bool:
    md5, sha256 = _digests(path)
    return sha256 == remote.sha256 and remote.md5 in (None, md5)


def fetch_file(url: str, destination: Path, remote: RemoteFile, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``destination`` atomically; wrong md5/sha256 -> GankitError, file removed."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.",
                                         suffix=".part")
    temporary = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as sink:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    received = 0
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        sink.write(chunk)
                        received += len(chunk)
                    expected = response.headers.get("Content-Length")
                    if expected is not None and expected.isdigit() and received != int(expected):
                        raise DownloadFailed(f"could not download {url}: the transfer stopped after "
                                             f"{received} of {expected} bytes; try again")
            except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
                if isinstance(error, urllib.error.HTTPError):
                    reason = f"HTTP {error.code} {error.reason}"
                else:
                    reason = getattr(error, "reason", None) or error
                raise DownloadFailed(f"could not download {url}: {reason}") from error
        md5, sha256 = _digests(temporary)
        if sha256 != remote.sha256 or (remote.md5 is not None and md5 != remote.md5):
            md5_text = f"; md5 {md5}, expected {remote.md5}" if remote.md5 is not None else ""
            raise GankitError(f"downloaded {remote.name} from {url} has the wrong checksum "
                              f"(sha256 {sha256[:16]}..., expected {remote.sha256[:16]}...{md5_text}); the bad "
                              f"file was removed, try again or use another mirror")
        os.replace(temporary, destination)
    finally:
        if temporary.exists():
            temporary.unlink()
    return destination


def download_dataset(dataset: str, directory=None, base_url: str | None = None,
                     timeout: float = 60.0) -> Path:
    """Download the files of ``dataset`` (a key of ``REMOTE_DATASETS``), return their folder.

    ``directory`` defaults to ``cache_dir()/dataset``; files already there with the right checksums are
    kept. ``base_url`` (or the dataset's ``url_env`` variable, e.g. ``$GANKIT_MNIST_URL``) replaces the mirror.
    """
    if dataset not in REMOTE_DATASETS:
        raise GankitError(f"no download known for dataset '{dataset}'; "
                          f"downloadable: {', '.join(sorted(REMOTE_DATASETS))}")
    folder = Path(directory) if directory is not None else cache_dir() / dataset
    url = base_url_for(dataset, base_url)
    for remote in REMOTE_DATASETS[dataset].files:
        destination = folder / remote.name
        if destination.is_file() and _matches(destination, remote):
            continue
        fetch_file(url + remote.name, destination, remote, timeout=timeout)
    return folder


def extract_tarball(archive: Path, destination: Path) -> Path:
    """Unpack ``archive`` into ``destination`` (created); only plain files and folders with relative
    paths inside it are allowed (no absolute paths, ``..``, links or devices). The members are unpacked
    into a temporary folder first and moved into place, so a failure leaves nothing half-written."""
    destination.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=destination, prefix=".extract."))
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                parts = Path(member.name).parts
                unsafe = member.name.startswith(("/", "\\")) or ".." in parts
                if unsafe or not (member.isfile() or member.isdir()):
                    raise GankitError(f"archive {archive} holds an unsafe member {member.name!r} (absolute path, "
                                      f"'..', link or device); delete the archive and download it again")
            tar.extractall(staging, members=members, filter="data")
        for entry in staging.iterdir():
            target = destination / entry.name
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            os.replace(entry, target)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise GankitError(f"cannot unpack {archive} ({error}); delete it and download it again") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination
