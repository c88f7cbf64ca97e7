"""SPADE (nets/spade.py, recipes/spade.py), shapes-seg, generation from label maps and layout consistency.
Shapes, one training step and save/load of `spade` come from tests/test_models.py."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import gankit
from gankit.cli import main
from gankit.config import TrainConfig
from gankit.data import load_dataset
from gankit.data.shapes_seg import CLASS_COLOURS, NUM_CLASSES
from gankit.errors import GankitError
from gankit.metrics.context import EvalContext
from gankit.metrics.layout import check_layout_run, recover_shapes_seg, segmentation_scores
from gankit.nets.spade import SPADE, MultiscaleDiscriminator, SPADEGenerator, SPADEResBlock, one_hot_maps
from gankit.pipelines import sample
from gankit.pipelines.label_maps import generate_from_maps, read_label_maps, voc_palette
from gankit.training import Trainer
from conftest import tiny_data, tiny_model_setup

INTERIOR = slice(2, -2)        # two stacked 3×3 convs with zero padding: the outer 2 pixels see the border


def spade_layer(norm="instance"):
    torch.manual_seed(0)
    return SPADE(channels=4, label_channels=3, hidden=8, norm=norm)


def test_a_constant_map_gives_spatially_constant_modulation():
    layer = spade_layer()
    onehot = one_hot_maps(torch.full((2, 12, 12), 1), 3)
    gamma, beta = layer.modulation(torch.randn(2, 4, 12, 12), onehot)
    for value in (gamma, beta):
        inner = value[:, :, INTERIOR, INTERIOR]
        torch.testing.assert_close(inner, inner[:, :, :1, :1].expand_as(inner))
        assert inner.abs().max() > 0


def test_a_two_region_map_gives_each_region_its_own_modulation():
    layer = spade_layer()
    maps = torch.zeros(1, 16, 16, dtype=torch.long)
    maps[:, :, 8:] = 2                                     # left half class 0, right half class 2
    x = torch.randn(1, 4, 16, 16)
    gamma, beta = layer.modulation(x, one_hot_maps(maps, 3))
    for value in (gamma, beta):
        left, right = value[..., INTERIOR, 2:6], value[..., INTERIOR, 10:14]   # 2 px from borders and the edge
        torch.testing.assert_close(left, left[..., :1, :1].expand_as(left))
        torch.testing.assert_close(right, right[..., :1, :1].expand_as(right))
        assert (left[..., 0, 0] - right[..., 0, 0]).abs().min() > 1e-4
    # Eq. 1: the parameter-free norm, then x̂·(1 + γ) + β; the map is resized (nearest) to the activation
    normalized = (x - x.mean((2, 3), keepdim=True)) / (x.var((2, 3), unbiased=False, keepdim=True) + 1e-5).sqrt()
    torch.testing.assert_close(layer(x, one_hot_maps(maps, 3)), normalized * (1 + gamma) + beta)
    small = layer.modulation(torch.randn(1, 4, 8, 8), one_hot_maps(maps, 3))[0]
    torch.testing.assert_close(small, layer.modulation(torch.randn(1, 4, 8, 8), one_hot_maps(maps[:, ::2, ::2], 3))[0])


def test_residual_blocks_learn_a_shortcut_only_when_the_channels_change():
    onehot = one_hot_maps(torch.randint(3, (2, 8, 8)), 3)
    same, change = SPADEResBlock(4, 4, 3, 8, "batch"), SPADEResBlock(8, 4, 3, 8, "batch")
    assert not same.learned_shortcut and change.learned_shortcut and change.conv_s.bias is None
    assert same(torch.randn(2, 4, 8, 8), onehot).shape == change(torch.randn(2, 8, 8, 8), onehot).shape == (2, 4, 8, 8)


def test_generator_and_multiscale_discriminator_shapes():
    onehot = one_hot_maps(torch.randint(5, (2, 64, 64)), 5)
    generator = SPADEGenerator(64, 5, 3, width=2, hidden=4)
    assert generator.base == 2 and sum(generator.upsample_before) == 5
    images = generator(onehot)
    assert images.shape == (2, 3, 64, 64) and images.abs().max() <= 1
    noisy = SPADEGenerator(32, 5, 1, width=2, hidden=4, noise_dim=8)
    assert noisy(one_hot_maps(torch.randint(5, (2, 32, 32)), 5), torch.randn(2, 8)).shape == (2, 1, 32, 32)
    outputs = MultiscaleDiscriminator(5 + 3, width=4)(torch.cat([onehot, images], 1))
    assert len(outputs) == 2 and all(len(features) == 5 for features in outputs)
    assert [tuple(f.shape[1:]) for f in outputs[0]] == [(4, 33, 33), (8, 17, 17), (16, 9, 9), (32, 10, 10), (1, 11, 11)]
    assert outputs[1][-1].shape[-1] < outputs[0][-1].shape[-1]          # the second scale sees the input pooled by 2
    with pytest.raises(GankitError, match="must be a multiple of 32; got 48"):
        SPADEGenerator(48, 5)


def test_shapes_seg_is_deterministic_per_seed_and_its_maps_align_with_its_images():
    first = load_dataset("shapes-seg", split="test", image_size=32, num_samples=300)
    again = load_dataset("shapes-seg", split="test", image_size=32, num_samples=20)
    other = load_dataset("shapes-seg", split="test", image_size=32, num_samples=20, seed=5)
    batch, head = first.head(20), again.head(20)
    assert batch["image"].dtype == batch["segmap"].dtype == torch.uint8 and first.segmap_classes == NUM_CLASSES
    assert torch.equal(batch["image"], head["image"]) and torch.equal(batch["segmap"], head["segmap"])
    assert not torch.equal(batch["segmap"], other.head(20)["segmap"])
    assert first.sample_shape == (3, 32, 32) and set(first.keys) == {"image", "segmap"}
    assert set(torch.unique(first.head(300)["segmap"]).tolist()) == set(range(NUM_CLASSES))
    # aligned: the recovery rule (nearest base colour) reads the map back from the image
    scores = segmentation_scores(recover_shapes_seg(batch["image"]), batch["segmap"], NUM_CLASSES)
    assert scores["miou"] > 0.97 and scores["pixel_accuracy"] > 0.99
    shuffled = segmentation_scores(recover_shapes_seg(batch["image"]), batch["segmap"].roll(1, 0), NUM_CLASSES)
    assert shuffled["miou"] < 0.5


@pytest.mark.parametrize("options, message", [
    ({"image_size": 16}, "renders images of 32 to 64 px"), ({"split": "val"}, "splits 'train' and 'test'"),
    ({"channels": 1}, "can give channels=3"), ({"num_samples": 0}, "positive integer")])
def test_shapes_seg_refuses_options_it_cannot_honour(options, message):
    with pytest.raises(GankitError, match=message):
        load_dataset("shapes-seg", **options)


def test_segmentation_scores_by_hand():
    target = torch.tensor([[0, 0, 1, 1]])
    recovered = torch.tensor([[0, 1, 1, 1]])
    scores = segmentation_scores(recovered, target, 3)
    # class 0: TP 1, union 2 → 0.5; class 1: TP 2, union 3 → 2/3; class 2 absent
    assert scores["per_class_iou"] == [0.5, pytest.approx(2 / 3), None]
    assert scores["miou"] == pytest.approx((0.5 + 2 / 3) / 2) and scores["pixel_accuracy"] == 0.75
    pure = torch.tensor(CLASS_COLOURS, dtype=torch.uint8).T.reshape(1, 3, 1, NUM_CLASSES)
    assert recover_shapes_seg(pure).tolist() == [[list(range(NUM_CLASSES))]]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A one-step spade run on tiny 32-px data with 6-class maps."""
    out = tmp_path_factory.mktemp("spade") / "run"
    data, overrides = tiny_model_setup("spade")
    config = TrainConfig(model="spade", data="tiny", steps=1, batch_size=4, log_every=1, sample_every=0,
                         checkpoint_every=1, model_args=overrides)
    Trainer(config, out, progress=False, data=data).run()
    return out, data


def write_maps(folder, maps):
    folder.mkdir(exist_ok=True)
    for index, ids in enumerate(maps):
        Image.fromarray(np.asarray(ids, dtype=np.uint8), "L").save(folder / f"{index:03d}.png")


def test_generate_from_maps_and_the_sample_command(tiny_run, tmp_path, capsys):
    run, data = tiny_run
    gan = gankit.load(run)
    maps = data.head(3)["segmap"]
    images = generate_from_maps(gan, maps, rng=torch.Generator().manual_seed(0))
    assert images.shape == (3, 3, 32, 32)
    torch.testing.assert_close(images, sample(gan, 3, latent=gan.map_latent(maps)))   # the map is the latent
    torch.testing.assert_close(generate_from_maps(gan, maps.roll(1, 0))[1], images[0])    # each image: its own map
    assert not torch.equal(images[0], images[1])
    write_maps(tmp_path / "maps", maps.numpy())
    read, files = read_label_maps(tmp_path / "maps", gan)
    assert torch.equal(read, maps) and len(files) == 3
    assert main(["sample", str(run), "--maps", str(tmp_path / "maps"), "--out", str(tmp_path / "grid.png")]) == 0
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.size == (2 + 6 * 34, 2 + 34)            # one row of 3 (map | image) pairs
    assert voc_palette(3).tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0]]


def test_bad_label_maps_are_one_line_each(tiny_run, tmp_path, capsys):
    run, data = tiny_run
    gan = gankit.load(run)
    write_maps(tmp_path / "many", [np.full((32, 32), 9)])
    assert main(["sample", str(run), "--maps", str(tmp_path / "many"), "--out", str(tmp_path / "x.png")]) == 2
    error = capsys.readouterr().err
    assert "000.png has class id 9, but the model knows 6 classes (0..5)" in error and error.count("\n") == 1
    with pytest.raises(GankitError, match=r"000.png has class id 9, but the model knows 6 classes \(0\.\.5\)"):
        read_label_maps(tmp_path / "many", gan)
    write_maps(tmp_path / "small", [np.ones((16, 24))])
    with pytest.warns(UserWarning, match=r"1 of 1 label maps are not 32x32 \(000.png 24x16\); resized"):
        resized, _ = read_label_maps(tmp_path / "small", gan)
    assert resized.shape == (1, 32, 32) and int(resized.max()) == 1
    Image.new("RGB", (32, 32)).save(tmp_path / "small" / "001.png")
    with pytest.raises(GankitError, match="has mode RGB; label maps are single-channel PNGs"):
        read_label_maps(tmp_path / "small", gan)
    for call, message in ((lambda: read_label_maps(tmp_path / "none", gan), "is not a folder"),
                          (lambda: generate_from_maps(gan, torch.zeros(2, 16, 16, dtype=torch.long)),
                           r"shape \(N, 32, 32\); got \(2, 16, 16\)"),
                          (lambda: generate_from_maps(gankit.create("dcgan", width=4), torch.zeros(1, 4, 4)),
                           "'dcgan' generates from noise")):
        with pytest.raises(GankitError, match=message):
            call()


def test_without_maps_sampling_refuses_or_draws_the_training_maps(tiny_run):
    run, data = tiny_run
    fresh = gankit.create("spade", **tiny_model_setup("spade")[1], sample_shape=(3, 32, 32))
    with pytest.raises(GankitError, match="without label maps: .*`gankit sample RUN --maps DIR`"):
        sample(fresh, 2)
    loaded = gankit.load(run)
    assert int(loaded.map_bank_count) == len(data)                # the run's training maps, saved with it
    assert torch.equal(loaded.map_bank[:len(data)], data.head(len(data))["segmap"])
    with pytest.raises(GankitError, match="a label-map model trains on data with maps"):
        Trainer(TrainConfig(model="spade", data="tiny", steps=1), run.parent / "other", progress=False,
                data=tiny_data((3, 32, 32)))
    with pytest.raises(GankitError, match="truncation needs a model with a Gaussian latent"):
        sample(loaded, 2, truncation=0.5)


def test_layout_consistency_refuses_runs_it_cannot_measure(tiny_run):
    loaded = gankit.load(tiny_run[0])

    def context(gan, data_name):
        return EvalContext(sample=None, num_samples=10, data_name=data_name, load_data=None, gan=gan)
    with pytest.raises(GankitError, match="generates from noise"):
        check_layout_run(context(gankit.create("dcgan", width=4), "shapes-seg"))
    with pytest.raises(GankitError, match="would need a segmenter of your own, which is out of scope"):
        check_layout_run(context(loaded, "paired-folder:a,b"))
    check_layout_run(context(loaded, "shapes-seg"))


def test_feature_matching_by_hand():
    """pix2pixHD Eq. 4: Σ_layers mean |D_l(real) − D_l(fake)|, logits excluded, averaged over the scales."""
    from gankit.recipes.spade import LabelMapGAN
    fake = [[torch.zeros(1, 2), torch.ones(1, 3), torch.full((1, 1), 9.0)], [torch.zeros(1, 4), torch.zeros(1, 1)]]
    real = [[torch.ones(1, 2), torch.full((1, 3), 3.0), torch.zeros(1, 1)], [torch.full((1, 4), 0.5), torch.ones(1, 1)]]
    assert float(LabelMapGAN.feature_matching_loss(fake, real)) == pytest.approx((1 + 2 + 0.5) / 2)


def test_other_objectives_and_generator_regularizers_train(tmp_path):
    data, overrides = tiny_model_setup("spade")
    config = TrainConfig(model="spade", data="tiny", steps=1, batch_size=4, log_every=1, sample_every=0,
                         checkpoint_every=0, objective="lsgan", regularizers=("ortho",), model_args=overrides)
    trainer = Trainer(config, tmp_path, progress=False, data=data).run()
    assert trainer.gan.objective.name == "lsgan"
    logged = (tmp_path / "metrics.jsonl").read_text()
    assert '"feature_matching"' in logged and '"reg_ortho"' in logged
    with pytest.raises(GankitError, match="objectives for this discriminator: hinge, lsgan, minimax, nonsaturating"):
        gankit.create("spade", objective="wgan-gp")
    with pytest.raises(GankitError, match="regularizer 'r1' acts on D"):
        gankit.create("spade", regularizers=("r1",))


def test_hinge_over_the_scales_by_hand():
    """Hinge D loss (Lim & Ye 2017): E[max(0, 1 − D(x))] + E[max(0, 1 + D(G))] per scale, averaged over scales."""
    from gankit.objectives.losses import hinge_discriminator_loss
    from gankit.recipes.spade import LabelMapGAN
    feature = torch.zeros(1, 1)
    real = [[feature, torch.tensor([[2.0, 0.5]])], [feature, torch.tensor([[-1.0]])]]
    fake = [[feature, torch.tensor([[0.0, -2.0]])], [feature, torch.tensor([[1.0]])]]
    # scale 1: real (0 + 0.5)/2 + fake (1 + 0)/2 = 0.75; scale 2: 2 + 2 = 4
    assert float(LabelMapGAN.over_scales(hinge_discriminator_loss, real, fake)) == pytest.approx((0.75 + 4) / 2)


def test_the_noise_input_variant_draws_its_noise_from_the_generator_given():
    data, overrides = tiny_model_setup("spade")
    gan = gankit.create("spade", sample_shape=data.sample_shape, **overrides, noise_dim=8)
    gan.attach_data(data)
    assert gan.latent_dim == 32 * 32 + 8
    maps = data.head(2)["segmap"]
    first, again, other = (generate_from_maps(gan, maps, rng=torch.Generator().manual_seed(seed)) for seed in (0, 0, 1))
    assert torch.equal(first, again) and not torch.equal(first, other)
