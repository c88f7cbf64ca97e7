"""Downloads against a local HTTP server on 127.0.0.1: checksums, atomic writes, the fallback path."""
import hashlib
import http.server
import re
import threading
from functools import partial

import numpy as np
import pytest

from gankit.data import download, load_dataset
from gankit.data.idx import write_idx
from gankit.errors import GankitError

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    requested: list

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.requested.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/served; yields (base_url, folder, list of requested paths)."""
    folder = tmp_path / "served"
    folder.mkdir()
    requested = []
    handler = type("Handler", (QuietHandler,), {"requested": requested})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", folder, requested
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    for name in ("GANKIT_DATA", "GANKIT_OFFLINE", "GANKIT_MNIST_URL", "GANKIT_FASHION_MNIST_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")


def serve_mnist(folder, monkeypatch, corrupt: str | None = None):
    """Write a tiny MNIST into the served folder and make gankit expect exactly those checksums."""
    rng = np.random.default_rng(0)
    arrays = {"train": (rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), np.arange(6, dtype=np.uint8)),
              "t10k": (rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), np.arange(4, dtype=np.uint8))}
    expected = []
    for name in NAMES:
        prefix, kind = name.split("-")[0], name.split("-")[1]
        path = write_idx(folder / name, arrays[prefix][0 if kind == "images" else 1])
        content = path.read_bytes()
        expected.append(download.RemoteFile(name, hashlib.md5(content).hexdigest(),
                                            hashlib.sha256(content).hexdigest()))
        if name == corrupt:
            path.write_bytes(content[:-1] + bytes([content[-1] ^ 0xFF]))
    remote = download.REMOTE_DATASETS["mnist"]
    monkeypatch.setitem(download.REMOTE_DATASETS, "mnist",
                        download.RemoteDataset(remote.base_url, remote.url_env, tuple(expected)))
    return arrays


def test_download_then_load_through_env_url(server, monkeypatch, tmp_path):
    url, folder, requested = server
    arrays = serve_mnist(folder, monkeypatch)
    monkeypatch.setenv("GANKIT_MNIST_URL", url)
    data = load_dataset("mnist")                        # nothing offline -> downloads into the cache
    assert sorted(requested) == sorted(f"/{name}" for name in NAMES)
    cached = tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(NAMES)      # no .part files left
    assert np.array_equal(np.rint((data.samples[:, 0].numpy() + 1) * 127.5), arrays["train"][0])
    assert data.labels.tolist() == list(range(6))
    test = load_dataset("mnist", split="test")          # now found offline in the cache
    assert len(test) == 4 and len(requested) == 4
    download.download_dataset("mnist", base_url=url)     # verified files are kept, not re-fetched
    assert len(requested) == 4


def test_checksum_mismatch_names_file_and_removes_it(server, monkeypatch, tmp_path):
    url, folder, _ = server
    serve_mnist(folder, monkeypatch, corrupt="t10k-images-idx3-ubyte.gz")
    target = tmp_path / "dl"
    with pytest.raises(GankitError, match=r"t10k-images-idx3-ubyte\.gz from http://127\.0\.0\.1:\d+/"
                                          r"t10k-images-idx3-ubyte\.gz has the wrong checksum"):
        download.download_dataset("mnist", target, base_url=url)
    left = sorted(p.name for p in target.iterdir())
    assert left == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]   # bad one gone


def test_missing_file_on_server_is_a_download_failure(server, monkeypatch, tmp_path):
    url, folder, _ = server
    serve_mnist(folder, monkeypatch)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(download.DownloadFailed, match=r"train-labels-idx1-ubyte\.gz: HTTP 404"):
        download.download_dataset("mnist", tmp_path / "dl", base_url=url)
    assert not any(p.name.endswith(".part") for p in (tmp_path / "dl").iterdir())


def test_cache_dir_and_url_overrides(monkeypatch, tmp_path):
    assert download.cache_dir() == tmp_path / "cache"
    monkeypatch.setenv("GANKIT_FASHION_MNIST_URL", "http://mirror.example/fmnist")
    assert download.base_url_for("fashion-mnist") == "http://mirror.example/fmnist/"
    assert download.base_url_for("fashion-mnist", "http://other/") == "http://other/"
    assert download.base_url_for("mnist") == "https://ossci-datasets.s3.amazonaws.com/mnist/"


def test_published_checksums_are_well_formed():
    for name, dataset in download.REMOTE_DATASETS.items():
        if name in ("mnist", "fashion-mnist"):
            assert [file.name for file in dataset.files] == list(NAMES)
        for file in dataset.files:
            assert re.fullmatch(r"[0-9a-f]{32}", file.md5) and re.fullmatch(r"[0-9a-f]{64}", file.sha256)


def test_inception_weights_download_tries_each_mirror_and_checks_sha256(server, tmp_path, capsys):
    """The online path of the FID weights: a mirror with wrong bytes or none at all is skipped; only a
    file with the expected sha256 lands under its final name in the cache."""
    from gankit.metrics import inception_weights
    url, folder, requested = server
    content = b"weights" * 1000
    (folder / "good.pth").write_bytes(content)
    (folder / "bad.pth").write_bytes(content[:-1] + b"X")
    remote = download.RemoteFile("pt_inception-test.pth", None, hashlib.sha256(content).hexdigest())
    mirrors = (url + "missing.pth", url + "bad.pth", url + "good.pth")
    path = inception_weights.download_weights(urls=mirrors, remote=remote)
    assert path == tmp_path / "cache" / "pt_inception-test.pth" and path.read_bytes() == content
    assert requested == ["/missing.pth", "/bad.pth", "/good.pth"]
    assert "HTTP 404" in capsys.readouterr().err
    assert [p.name for p in path.parent.iterdir()] == ["pt_inception-test.pth"]      # no partial files
    path.unlink()
    with pytest.raises(GankitError, match="no mirror served the expected Inception weights"):
        inception_weights.download_weights(urls=mirrors[:2], remote=remote)
    assert inception_weights.download_weights(urls=(url + "missing.pth", "http://127.0.0.1:9/x"),
                                              remote=remote) is None              # offline: the caller says what to do
    assert not path.exists()


def test_a_transfer_cut_short_is_a_download_failure(tmp_path):
    """The server promises more bytes than it sends, then closes the connection."""
    class Truncating(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
            self.close_connection = True

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Truncating)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        remote = download.RemoteFile("file.bin", None, "0" * 64)
        with pytest.raises(download.DownloadFailed, match="could not download .*file.bin"):
            download.fetch_file(f"http://127.0.0.1:{httpd.server_address[1]}/file.bin",
                                tmp_path / "dl" / "file.bin", remote, timeout=10)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert list((tmp_path / "dl").iterdir()) == []
