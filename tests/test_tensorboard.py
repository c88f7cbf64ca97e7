"""TensorBoard's own reader finds a run's scalars, sample grids and hyperparameters; a resumed run shows
each step once; without the tensorboard package a run logs to metrics.jsonl and says so once."""
from __future__ import annotations

import sys
import warnings

import pytest

from gankit.config import TrainConfig
from gankit.training import Trainer
from gankit.training import tensorboard
from gankit.training.checkpoint import checkpoint_path
from conftest import tiny_data

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
plugin_data_pb2 = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")


def config(steps):
    return TrainConfig(model="dcgan", data="tiny", steps=steps, batch_size=8, seed=3, log_every=1,
                       sample_every=2, checkpoint_every=2, keep_checkpoints=5, model_args={"width": 4})


def read(run_dir):
    accumulator = event_accumulator.EventAccumulator(str(run_dir / "tensorboard"),
                                                     size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def test_tensorboard_reads_scalars_sample_grids_and_hparams(tmp_path):
    trainer = Trainer(config(4), tmp_path, progress=False, data=tiny_data()).run()
    board = read(tmp_path)
    assert [event.step for event in board.Scalars("loss_d")] == [1, 2, 3, 4]
    grids = board.Images("samples")
    assert [event.step for event in grids] == [2, 4]
    assert grids[0].width > 28 and grids[0].encoded_image_string.startswith(b"\x89PNG")
    content = board.PluginTagToContent("hparams")
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= content.keys()
    session = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    assert session.hparams["model"].string_value == "dcgan"
    assert session.hparams["model_args.width"].number_value == 4
    assert session.hparams["resolved.lr_g"].number_value == pytest.approx(trainer.gan.hparams["lr_g"])
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    assert "loss_d" in {info.name.tag for info in experiment.metric_infos}


def test_a_resume_from_an_earlier_checkpoint_shows_each_step_once(tmp_path):
    data = tiny_data()
    Trainer(config(6), tmp_path, progress=False, data=data).run()
    checkpoint_path(tmp_path, 6).unlink()             # as if stopped before step 6 was saved: 5, 6 again
    Trainer(config(8), tmp_path, resume=True, progress=False, data=data).run()
    board = read(tmp_path)
    assert [event.step for event in board.Scalars("loss_d")] == list(range(1, 9))
    assert [event.step for event in board.Images("samples")] == [2, 4, 6, 8]


def test_without_tensorboard_metrics_jsonl_only_said_once(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)     # import fails as if not installed
    monkeypatch.setattr(tensorboard, "_said_missing", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("a", "b"):
            Trainer(config(2), tmp_path / name, progress=False, data=tiny_data()).run()
    said = [str(w.message) for w in caught if "tensorboard package" in str(w.message)]
    assert said == [tensorboard.MISSING]
    assert (tmp_path / "b" / "metrics.jsonl").is_file() and not (tmp_path / "b" / "tensorboard").exists()
