"""CIFAR-10, CelebA, UTKFace and paired image/label-map folders, read from small files written here in
their real formats (no network: the download test serves a tarball from 127.0.0.1)."""
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading
import warnings
from functools import partial

import numpy as np
import pytest
from PIL import Image

from gankit.data import download, load_dataset
from gankit.errors import GankitError
from gankit.registry import DATASETS


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GANKIT_OFFLINE", "1")
    for name in ("GANKIT_DATA", "GANKIT_CIFAR10_URL"):
        monkeypatch.delenv(name, raising=False)


def test_new_datasets_are_registered(capsys):
    names = DATASETS.names()
    for name in ("cifar10", "celeba", "utkface", "paired-folder"):
        assert name in names
    assert DATASETS.describe_name("paired-folder") == "paired-folder:IMAGES,MAPS"
    assert DATASETS.describe_name("image-folder") == "image-folder:PATH"
    assert DATASETS.entry("celeba").meta["labels"] == "attributes"
    assert DATASETS.entry("utkface").meta["labels"] == ("gender", "race", "age-decade")
    from argparse import Namespace

    from gankit.cli import cmd_list
    cmd_list.run(Namespace(kind="datasets", json=False, params=False))   # `gankit list datasets`
    shown = capsys.readouterr().out
    for name in ("cifar10", "celeba", "utkface", "paired-folder:IMAGES,MAPS", "image-folder:PATH"):
        assert f"  {name} " in shown


# ---------------------------------------------------------------------------------------------- CIFAR-10
def cifar_arrays(num, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (num, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, num).astype(np.uint8)


def write_cifar_bin(folder, seed=0, per_batch=3):
    """The binary layout; returns the expected (train images, labels, test images, labels)."""
    folder.mkdir(parents=True)
    train = [cifar_arrays(per_batch, seed + i) for i in range(5)]
    for i, (images, labels) in enumerate(train, start=1):
        records = np.concatenate([labels[:, None], images.reshape(per_batch, -1)], axis=1)
        (folder / f"data_batch_{i}.bin").write_bytes(records.tobytes())
    test = cifar_arrays(2, seed + 9)
    (folder / "test_batch.bin").write_bytes(np.concatenate([test[1][:, None], test[0].reshape(2, -1)], 1).tobytes())
    (folder / "batches.meta.txt").write_text("\n".join(f"class{i}" for i in range(10)) + "\n\n")
    return (np.concatenate([t[0] for t in train]), np.concatenate([t[1] for t in train]), *test)


def write_cifar_py(folder, protocol=2, seed=0, numpy1_names=False):
    """The python layout; ``numpy1_names``: the arrays name numpy.core.multiarray, as pickles written with
    numpy 1.x (the published batches) do."""
    folder.mkdir(parents=True)
    expected = []
    for i, stem in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        images, labels = cifar_arrays(2, seed + i)
        batch = {b"batch_label": b"x", b"data": images.reshape(2, -1), b"labels": [int(v) for v in labels]}
        written = pickle.dumps(batch, protocol=protocol)
        if numpy1_names:
            written = written.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        (folder / stem).write_bytes(written)
        expected.append((images, labels))
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": [b"a%d" % i for i in range(10)]},
                                                       protocol=protocol))
    return expected


def test_cifar10_binary_round_trips_pixels_and_labels(tmp_path):
    train_x, train_y, test_x, test_y = write_cifar_bin(tmp_path / "data" / "cifar10" / "cifar-10-batches-bin")
    data = load_dataset("cifar10", root=tmp_path / "data")
    batch = data.fetch(np.arange(len(data)))
    assert batch["image"].dtype.is_floating_point is False and tuple(batch["image"].shape) == (15, 3, 32, 32)
    assert np.array_equal(batch["image"].numpy(), train_x)
    assert np.array_equal(batch["label"].numpy(), train_y)
    assert data.class_names == tuple(f"class{i}" for i in range(10)) and data.num_classes == 10
    assert "cifar-10-batches-bin" in data.source
    test = load_dataset("cifar10", split="test", root=tmp_path / "data")
    assert np.array_equal(test.head(2)["image"].numpy(), test_x) and test.labels.tolist() == test_y.tolist()


def test_cifar10_resize_gray_and_gankit_data(tmp_path, monkeypatch):
    write_cifar_bin(tmp_path / "cifar-10-batches-bin")
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path))
    data = load_dataset("cifar10", split="test", image_size=16, channels=1)
    assert data.sample_shape == (1, 16, 16)
    with pytest.raises(GankitError, match="splits 'train' and 'test'"):
        load_dataset("cifar10", split="valid")


def test_cifar10_truncated_binary_names_the_file(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    write_cifar_bin(folder)
    (folder / "data_batch_3.bin").write_bytes((folder / "data_batch_3.bin").read_bytes()[:-5])
    with pytest.raises(GankitError, match=r"data_batch_3\.bin.*not a multiple of the 3073") as error:
        load_dataset("cifar10", root=tmp_path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("protocol,numpy1_names", [(2, False), (2, True), (4, False)])
def test_cifar10_python_pickles_round_trip(tmp_path, protocol, numpy1_names):
    expected = write_cifar_py(tmp_path / "cifar-10-batches-py", protocol, numpy1_names=numpy1_names)
    if numpy1_names:
        assert b"numpy.core.multiarray\n_reconstruct" in (tmp_path / "cifar-10-batches-py" / "test_batch").read_bytes()
    data = load_dataset("cifar10", root=tmp_path)
    assert np.array_equal(data.head(10)["image"].numpy(), np.concatenate([e[0] for e in expected[:5]]))
    assert data.labels.tolist() == np.concatenate([e[1] for e in expected[:5]]).tolist()
    assert data.class_names[3] == "a3"
    test = load_dataset("cifar10", split="test", root=tmp_path)
    assert np.array_equal(test.head(2)["image"].numpy(), expected[5][0])


class Exploit:
    def __reduce__(self):
        return os.system, ("touch pwned",)


def test_cifar10_refuses_a_pickle_that_runs_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar_py(folder)
    (folder / "data_batch_2").write_bytes(pickle.dumps({b"data": Exploit(), b"labels": []}, protocol=2))
    with pytest.raises(GankitError, match=r"refusing to unpickle .*data_batch_2: it calls (posix|os|nt)\.system"):
        load_dataset("cifar10", root=tmp_path)
    assert not (tmp_path / "pwned").exists()
    (folder / "data_batch_2").write_bytes(b"\x80\x02}q\x00")    # truncated pickle
    with pytest.raises(GankitError, match=r"cannot read CIFAR-10 pickle .*data_batch_2"):
        load_dataset("cifar10", root=tmp_path)


def test_cifar10_missing_offline_says_what_to_do(tmp_path):
    with pytest.raises(GankitError, match="cifar10 not found .*downloading is off.*cifar-10-binary.tar.gz"):
        load_dataset("cifar10", root=tmp_path)


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/served on 127.0.0.1; yields (base_url, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", folder
    httpd.shutdown()
    httpd.server_close()


def serve_tarball(served, source, monkeypatch, name="cifar-10-binary.tar.gz", extra=None):
    archive = served / name
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="cifar-10-batches-bin")
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b"x" * extra.size))
    body = archive.read_bytes()
    remote = download.RemoteFile(name, hashlib.md5(body).hexdigest(), hashlib.sha256(body).hexdigest())
    monkeypatch.setitem(download.REMOTE_DATASETS, "cifar10",
                        download.RemoteDataset("https://unused.invalid/", "GANKIT_CIFAR10_URL", (remote,)))


def test_cifar10_downloads_verifies_and_unpacks(tmp_path, server, monkeypatch):
    url, served = server
    train_x, _, _, _ = write_cifar_bin(tmp_path / "made" / "cifar-10-batches-bin")
    serve_tarball(served, tmp_path / "made" / "cifar-10-batches-bin", monkeypatch)
    monkeypatch.setenv("GANKIT_CIFAR10_URL", url)
    data = load_dataset("cifar10", root=tmp_path / "nothing", download=True)
    assert np.array_equal(data.head(15)["image"].numpy(), train_x)
    cached = tmp_path / "cache" / "cifar10"
    assert (cached / "cifar-10-batches-bin" / "test_batch.bin").is_file()
    assert not (cached / "cifar-10-binary.tar.gz").exists()
    assert load_dataset("cifar10", split="test").source.startswith("2 images from " + str(cached))


def test_cifar10_download_wrong_checksum_and_unsafe_archive(tmp_path, server, monkeypatch):
    url, served = server
    write_cifar_bin(tmp_path / "made" / "cifar-10-batches-bin")
    serve_tarball(served, tmp_path / "made" / "cifar-10-batches-bin", monkeypatch)
    monkeypatch.setenv("GANKIT_CIFAR10_URL", url)
    good = download.REMOTE_DATASETS["cifar10"].files[0]
    bad = download.RemoteFile(good.name, "0" * 32, good.sha256)
    monkeypatch.setitem(download.REMOTE_DATASETS, "cifar10",
                        download.RemoteDataset("https://unused.invalid/", "GANKIT_CIFAR10_URL", (bad,)))
    with pytest.raises(GankitError, match="wrong checksum"):
        load_dataset("cifar10", download=True)
    evil = tarfile.TarInfo("../escaped.txt")
    evil.size = 3
    serve_tarball(served, tmp_path / "made" / "cifar-10-batches-bin", monkeypatch, extra=evil)
    with pytest.raises(GankitError, match=r"unsafe member '\.\./escaped\.txt'"):
        load_dataset("cifar10", download=True)
    assert not (tmp_path / "cache" / "escaped.txt").exists()
    assert not (tmp_path / "cache" / "cifar10" / "cifar-10-batches-bin").exists()


# ---------------------------------------------------------------------------------------------- CelebA
ATTR_NAMES = ["5_o_Clock_Shadow", "Arched_Eyebrows", "Smiling"] + [f"Attr{i}" for i in range(37)]


def write_celeba(base, num=5, partition=(0, 0, 0, 1, 2)):
    """A CelebA folder of ``num`` 178x218 JPEGs: red inside the 108 face box, blue outside."""
    (base / "img_align_celeba").mkdir(parents=True)
    names = [f"{i + 1:06d}.jpg" for i in range(num)]
    picture = Image.new("RGB", (178, 218), (0, 0, 255))
    picture.paste((255, 0, 0), (35, 55, 143, 163))
    for name in names:
        picture.save(base / "img_align_celeba" / name, quality=95)
    rng = np.random.default_rng(1)
    values = rng.choice([-1, 1], (num, 40))
    rows = [f"{name} " + " ".join(f"{v:2d}" for v in row) for name, row in zip(names, values)]
    (base / "list_attr_celeba.txt").write_text(f"{num}\n" + " ".join(ATTR_NAMES) + "\n" + "\n".join(rows) + "\n")
    (base / "list_eval_partition.txt").write_text("".join(f"{n} {p}\n" for n, p in zip(names, partition)))
    return names, (values == 1).astype(np.int64)


def test_celeba_attributes_splits_labels_and_crop(tmp_path, monkeypatch):
    names, attrs = write_celeba(tmp_path / "celeba")
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path))
    data = load_dataset("celeba", image_size=16)
    assert len(data) == 3 and data.sample_shape == (3, 16, 16) and not data.streamed
    batch = data.head(3)
    assert batch["attrs"].tolist() == attrs[:3].tolist() and data.attr_names == tuple(ATTR_NAMES)
    assert "label" not in batch
    image = batch["image"][0].numpy().astype(int)
    assert image[2, 0, 0] > 200 and image[0, 8, 8] > 200          # centre178: blue around the red face box
    tight = DATASETS.build("celeba", image_size=16, crop="center108", split="test").head(1)["image"][0].numpy()
    assert tight[0].min() > 200 and tight[2].max() < 60                 # centre108 is the red face box only
    smiling = load_dataset("celeba", split="valid", label="Smiling", channels=1, stream=True)
    assert smiling.streamed and smiling.num_classes == 2 and smiling.label_name == "Smiling"
    assert smiling.class_names == ("not Smiling", "Smiling") and smiling.labels.tolist() == [attrs[3, 2]]
    assert smiling.fetch(np.array([0]))["image"].shape == (1, 1, 64, 64)
    with pytest.raises(GankitError, match="no attribute 'Smile' .*Arched_Eyebrows, Smiling"):
        load_dataset("celeba", label="Smile")
    with pytest.raises(GankitError, match="splits 'train', 'valid', 'test'"):
        load_dataset("celeba", split="val")


def test_celeba_attribute_rows_must_match_images(tmp_path):
    names, _ = write_celeba(tmp_path / "celeba")
    attributes = tmp_path / "celeba" / "list_attr_celeba.txt"
    (tmp_path / "celeba" / "img_align_celeba" / names[1]).unlink()
    with pytest.raises(GankitError, match=f"list_attr_celeba.txt lists {names[1]}, which is not in"):
        load_dataset("celeba", root=tmp_path)
    Image.new("RGB", (178, 218)).save(tmp_path / "celeba" / "img_align_celeba" / names[1])
    Image.new("RGB", (178, 218)).save(tmp_path / "celeba" / "img_align_celeba" / "999999.jpg")
    with pytest.raises(GankitError, match=r"999999\.jpg has no row in .*list_attr_celeba\.txt"):
        load_dataset("celeba", root=tmp_path)
    (tmp_path / "celeba" / "img_align_celeba" / "999999.jpg").unlink()
    lines = attributes.read_text().splitlines()
    attributes.write_text("\n".join(lines[:3] + [lines[3].rsplit(" ", 1)[0]] + lines[4:]) + "\n")
    with pytest.raises(GankitError, match=r"list_attr_celeba\.txt line 4 \(000002\.jpg\) has 39 values, expected 40"):
        load_dataset("celeba", root=tmp_path)


def test_celeba_missing_says_which_files_go_where(tmp_path):
    with pytest.raises(GankitError, match=r"CelebA not found .*mmlab.*GANKIT_DATA/celeba/img_align_celeba/\*\.jpg"):
        load_dataset("celeba", root=tmp_path)
    write_celeba(tmp_path / "celeba")
    (tmp_path / "celeba" / "list_eval_partition.txt").unlink()
    with pytest.raises(GankitError, match=r"list_eval_partition\.txt is missing"):
        load_dataset("celeba", root=tmp_path)


# ---------------------------------------------------------------------------------------------- UTKFace
def test_utkface_names_attrs_labels_and_malformed(tmp_path):
    folder = tmp_path / "utkface" / "UTKFace"
    folder.mkdir(parents=True)
    names = ["1_0_2_20161219203650636.jpg.chip.jpg", "26_1_0_20170116183524519.jpg.chip.jpg",
             "95_1_4_20170110122519512.jpg", "45_0_3_20170104213407426.jpg.chip.jpg"]
    for name in names + ["39_1_20170116174525125.jpg.chip.jpg", "notes.jpg"]:
        Image.new("RGB", (200, 200), (10, 20, 30)).save(folder / name)
    with pytest.warns(UserWarning, match=r"skipped 2 UTKFace files .*the first 39_1_20170116174525125\.jpg\.chip"):
        data = load_dataset("utkface", root=tmp_path, label="age-decade")
    assert len(data) == 4 and data.sample_shape == (3, 64, 64) and data.attr_names == ("age", "gender", "race")
    batch = data.head(4)                        # files in sorted name order
    assert batch["attrs"].tolist() == [[1, 0, 2], [26, 1, 0], [45, 0, 3], [95, 1, 4]]
    assert batch["label"].tolist() == [0, 2, 4, 9] and data.class_names[9] == "90+" and data.num_classes == 10
    assert data.class_names[2] == "20-29" and data.label_name == "age-decade"
    assert tuple(batch["image"][0, :, 5, 5].tolist()) == (10, 20, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        race = load_dataset("utkface", root=tmp_path, label="race", image_size=8, channels=1)
        gender = load_dataset("utkface", root=tmp_path, label="gender")
    assert race.labels.tolist() == [2, 0, 3, 4] and race.class_names == ("White", "Black", "Asian", "Indian", "Others")
    assert race.sample_shape == (1, 8, 8)
    assert gender.labels.tolist() == [0, 1, 0, 1] and gender.class_names == ("male", "female")
    with pytest.raises(GankitError, match="no label 'age'; its labels: gender, race, age-decade"):
        load_dataset("utkface", root=tmp_path, label="age")
    with pytest.raises(GankitError, match="no official split"):
        load_dataset("utkface", root=tmp_path, split="test")


def test_utkface_missing_says_where_to_put_it(tmp_path):
    with pytest.raises(GankitError, match=r"UTKFace not found .*susanqq.*GANKIT_DATA/utkface/UTKFace/"):
        load_dataset("utkface", root=tmp_path)


# ---------------------------------------------------------------------------------------------- paired-folder
def write_pairs(tmp_path, size=(12, 8)):
    images, maps = tmp_path / "photos", tmp_path / "labels"
    (images / "city").mkdir(parents=True)
    (maps / "city").mkdir(parents=True)
    for i, stem in enumerate(["city/a", "city/b", "c"]):
        Image.new("RGB", size, (40 * i, 0, 0)).save(images / f"{stem}.png")
        ids = np.full(size[::-1], i, dtype=np.uint8)
        ids[0, 0] = 6 if stem == "c" else 1
        Image.fromarray(ids, "L").save(maps / f"{stem}.png")
    return images, maps


def test_paired_folder_matches_by_name_and_counts_classes(tmp_path):
    images, maps = write_pairs(tmp_path)
    Image.new("RGB", (12, 8)).save(images / "lonely.jpg")
    Image.fromarray(np.zeros((8, 12), np.uint8)).save(maps / "orphan.png")
    unpaired = r"left out 1 images without a label map \(.*lonely\.jpg\) and 1 label maps without an image \(.*orphan"
    with pytest.warns(UserWarning, match=unpaired + r"\.png\); 3 pairs are used"):
        data = load_dataset(f"paired-folder:{images},{maps}", image_size=8)
    (images / "lonely.jpg").unlink()
    (maps / "orphan.png").unlink()
    assert len(data) == 3 and data.segmap_classes == 7 and set(data.keys) >= {"image", "segmap"}
    batch = data.head(3)                         # sorted keys: c, city/a, city/b
    assert batch["segmap"].dtype.is_floating_point is False and tuple(batch["segmap"].shape) == (3, 8, 8)
    assert [int(m[4, 4]) for m in batch["segmap"]] == [2, 0, 1]
    assert [int(x[0, 4, 4]) for x in batch["image"]] == [80, 0, 40]
    streamed = DATASETS.build(f"paired-folder:{images},{maps}", stream=True, segmap_classes=10)
    assert streamed.streamed and streamed.segmap_classes == 10
    assert int(streamed.fetch(np.array([0]))["segmap"][0, 30, 30]) == 2
    with pytest.raises(GankitError, match=r"has class id [26], but segmap_classes=2; give segmap_classes="):
        DATASETS.build(f"paired-folder:{images},{maps}", segmap_classes=2)


def test_paired_folder_errors(tmp_path):
    images, maps = write_pairs(tmp_path)
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(maps / "c.png")
    with pytest.raises(GankitError, match=r"label map .*labels/c\.png is 5x5 but its image .*photos/c\.png is 12x8"):
        load_dataset(f"paired-folder:{images},{maps}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GankitError, match="no image in .* has a label map of the same name"):
        load_dataset(f"paired-folder:{images},{tmp_path / 'empty'}")
    with pytest.raises(GankitError, match="two folders separated by one comma"):
        load_dataset(f"paired-folder:{images}")
    with pytest.raises(GankitError, match="needs an argument: use 'paired-folder:IMAGES,MAPS'"):
        load_dataset("paired-folder")
