"""The one training loop: reproducible, resumable to identical weights, stops cleanly on NaN."""
from __future__ import annotations

import json

import pytest
import torch

import gankit
from gankit.config import TrainConfig
from gankit.errors import GankitError, TrainingDiverged
from gankit.training import Trainer
from gankit.training.checkpoint import list_checkpoints, load_checkpoint
from gankit.training.trainer import try_forward
from conftest import tiny_data


def config(steps, **values):
    defaults = dict(model="dcgan", data="tiny", steps=steps, batch_size=8, seed=3, log_every=2,
                    sample_every=2, checkpoint_every=2, model_args={"width": 4})
    return TrainConfig(**{**defaults, **values})


def weights(trainer):
    return {k: v.clone() for k, v in trainer.gan.state_dict().items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize("model,shape", [("dcgan", (1, 28, 28)), ("gan", (1, 28, 28)), ("mlp-gan", (2,))])
def test_n_plus_resume_n_equals_2n(model, shape, tmp_path):
    data = tiny_data(shape)
    model_args = {"width": 4} if model == "dcgan" else {}
    straight = Trainer(config(4, model=model, model_args=model_args), tmp_path / "a", progress=False, data=data).run()
    Trainer(config(2, model=model, model_args=model_args), tmp_path / "b", progress=False, data=data).run()
    resumed = Trainer(config(4, model=model, model_args=model_args), tmp_path / "b", resume=True,
                      progress=False, data=data).run()
    assert resumed.step == 4
    assert_same(weights(straight), weights(resumed))
    for name in ("generator", "discriminator"):
        a = straight.optimizers[name].state_dict()["state"]
        b = resumed.optimizers[name].state_dict()["state"]
        assert all(torch.equal(a[i]["exp_avg"], b[i]["exp_avg"]) for i in a)


def test_seeded_runs_are_reproducible_and_seeds_differ(tmp_path):
    data = tiny_data()
    a = Trainer(config(2), tmp_path / "a", progress=False, data=data).run()
    b = Trainer(config(2), tmp_path / "b", progress=False, data=data).run()
    c = Trainer(config(2, seed=4), tmp_path / "c", progress=False, data=data).run()
    assert_same(weights(a), weights(b))
    assert not torch.equal(weights(a)["generator.net.0.weight"], weights(c)["generator.net.0.weight"])


def test_run_folder_layout_and_checkpoint_contents(tmp_path):
    Trainer(config(4, keep_checkpoints=1), tmp_path, progress=False, data=tiny_data()).run()
    assert json.loads((tmp_path / "config.json").read_text())["model"] == "dcgan"
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4]
    assert {"loss_d", "loss_g"} <= records[0].keys()
    assert len(list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))) == 1
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["step-0000002.png", "step-0000004.png"]
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-0000004.pt"]     # keep=1 pruned step 2
    payload = load_checkpoint(tmp_path)
    assert payload["step"] == 4 and payload["build_args"]["name"] == "dcgan"
    assert {"generator", "discriminator"} == payload["optimizers"].keys()
    assert not list(tmp_path.glob("checkpoints/.*tmp"))        # atomic: no temp file left


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    data = tiny_data()
    trainer = Trainer(config(2), tmp_path, progress=False, data=data).run()
    good = load_checkpoint(tmp_path)["model"]
    poisoned = Trainer(config(6), tmp_path, resume=True, progress=False, data=data)
    with torch.no_grad():
        next(poisoned.gan.discriminator.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="loss became nan at step 3.*step-0000002.pt"):
        poisoned.run()
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-0000002.pt"]
    assert_same(load_checkpoint(tmp_path)["model"], good)
    assert trainer.step == 2


def test_existing_run_is_not_overwritten(tmp_path):
    Trainer(config(2), tmp_path, progress=False, data=tiny_data()).run()
    with pytest.raises(GankitError, match="already holds a trained run; continue it with --resume"):
        Trainer(config(2), tmp_path, progress=False, data=tiny_data())


def test_corrupt_checkpoint_names_the_file(tmp_path):
    Trainer(config(2), tmp_path, progress=False, data=tiny_data()).run()
    path = list_checkpoints(tmp_path)[-1]
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(GankitError, match=f"checkpoint {path} is corrupt"):
        gankit.load(tmp_path)


def test_unknown_option_lists_valid_ones():
    with pytest.raises(GankitError, match="model 'dcgan' has no option 'depth'; its options: .*width"):
        gankit.create("dcgan", depth=3)
    with pytest.raises(GankitError, match="unknown model 'dcgann'; valid models: .*dcgan"):
        gankit.create("dcgann")


@pytest.mark.parametrize("model_args,message", [
    ({"width": -4}, "model 'dcgan' cannot be built with model_args .*: .*negative dimension.*; fix model_args"),
    ({"width": 4, "latent_dim": 0}, "these layers have no units: generator.*must be at least 1"),   # runs in torch
    ({"width": 4, "kernel_size": "x"}, "model 'dcgan' has no option 'kernel_size'")])
def test_model_args_torch_cannot_use_fail_before_training(tmp_path, model_args, message):
    with pytest.raises(GankitError, match=message):
        Trainer(config(2, model_args=model_args), tmp_path / "run", progress=False, data=tiny_data())
    assert not (tmp_path / "run").exists()


def test_trial_forward_pass_changes_no_state():
    gan = gankit.create("dcgan", width=4)
    state_before = {key: value.clone() for key, value in gan.state_dict().items()}   # BatchNorm statistics too
    rng_before = torch.get_rng_state()
    try_forward(gan)
    assert torch.equal(torch.get_rng_state(), rng_before) and gan.discriminator.training
    assert_same(state_before, gan.state_dict())


def test_resume_with_other_model_args_is_one_line(tmp_path):
    Trainer(config(2), tmp_path, progress=False, data=tiny_data()).run()
    with pytest.raises(GankitError, match=r"other settings \(model_args \{'width': 4\} -> \{'width': 8\}\)"):
        Trainer(config(4, model_args={"width": 8}), tmp_path, resume=True, progress=False, data=tiny_data())


def test_logged_numbers_are_averaged_over_the_steps_that_logged_them(tmp_path):
    """An evaluation once per window (or a lazy regularizer every k steps) is not divided by the window."""
    from types import SimpleNamespace

    from gankit.training.hooks import MetricsLogger
    trainer = SimpleNamespace(out_dir=tmp_path, config=SimpleNamespace(steps=8), step=0)
    logger = MetricsLogger(every=4)
    logger.on_start(trainer)
    for step in range(1, 9):
        logs = {"loss_d": float(step)}
        if step % 4 == 2:
            logs["eval_is-mnist"] = 1.5                  # once in each window of 4 steps
        logger.on_step(trainer, step, logs)
    logger.on_end(trainer)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [4, 8]
    assert [row["loss_d"] for row in rows] == [2.5, 6.5]
    assert [row["eval_is-mnist"] for row in rows] == [1.5, 1.5]          # was 0.375: 1.5 / 4 steps


def test_a_resume_from_an_earlier_checkpoint_logs_each_step_once(tmp_path):
    """After an interrupt (or a divergence), the steps past the last checkpoint are trained again: their
    old rows go, metrics.jsonl stays one row per step in order, and TensorBoard drops them too."""
    Trainer(config(6, log_every=1, checkpoint_every=4), tmp_path, progress=False, data=tiny_data()).run()
    (tmp_path / "checkpoints" / "step-0000006.pt").unlink()          # as if stopped at step 6 before saving
    Trainer(config(8, log_every=1, checkpoint_every=4), tmp_path, resume=True, progress=False, data=tiny_data()).run()
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9))
    accumulator_module = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    accumulator = accumulator_module.EventAccumulator(str(tmp_path / "tensorboard"))
    accumulator.Reload()
    assert [event.step for event in accumulator.Scalars("loss_d")] == list(range(1, 9))


def test_a_fresh_run_refuses_a_folder_with_logs_but_no_checkpoint(tmp_path):
    Trainer(config(2, checkpoint_every=0), tmp_path, progress=False, data=tiny_data()).run()
    with pytest.raises(GankitError, match="holds the logs of an earlier run that saved no checkpoint"):
        Trainer(config(2), tmp_path, progress=False, data=tiny_data())


def test_an_interrupt_says_where_training_stopped_and_how_to_resume(tmp_path, capsys):
    from gankit.training.hooks import Hook, default_hooks

    class Interrupt(Hook):
        def on_step(self, trainer, step, logs):
            if step == 3:
                raise KeyboardInterrupt
    trainer = Trainer(config(6), tmp_path, progress=False, data=tiny_data(),
                      hooks=default_hooks(config(6), progress=False) + [Interrupt()])
    with pytest.raises(KeyboardInterrupt):
        trainer.run()
    assert (f"gankit: interrupted at step 3: the last checkpoint is {tmp_path / 'checkpoints' / 'step-0000002.pt'}; "
            f"continue with `gankit train --resume {tmp_path}`") in capsys.readouterr().err
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 3]                      # the unfinished window (step 3, log_every 2) is logged too


def test_numpy_numbers_are_plain_numbers_in_configs_and_checkpoints(tmp_path):
    import numpy as np
    trainer = Trainer(config(np.int64(2), lr_g=np.float32(1e-3)), tmp_path,
                      progress=False, data=tiny_data()).run()
    assert json.loads((tmp_path / "config.json").read_text())["lr_g"] == pytest.approx(1e-3)
    assert gankit.load(tmp_path).step == 2 and isinstance(trainer.config.steps, int)


def test_loading_a_file_that_is_no_checkpoint_says_so(tmp_path):
    (tmp_path / "c.toml").write_text("steps = 3\n")
    with pytest.raises(GankitError, match=r"c.toml is not a checkpoint \(gankit writes RUN/checkpoints/step-\*.pt\)"):
        gankit.load(tmp_path / "c.toml")                # said "delete it to resume from an earlier one"


def test_compile_with_a_double_backward_penalty_is_one_line(tmp_path, monkeypatch):
    """torch.compile (aot_autograd) refuses the double backward of R1/WGAN-GP/path length with a RuntimeError deep in
    torch (seen with stylegan2 --compile); the trainer says it in one line. The loss raises torch's message here,
    so the test does not compile anything."""
    from gankit.recipes.base import GAN

    def refuse(self, batch, context):
        raise RuntimeError("torch.compile with aot_autograd does not currently support double backward")
    monkeypatch.setattr(GAN, "discriminator_loss", refuse)
    data = tiny_data((1, 28, 28))
    config = TrainConfig(model="dcgan", data="tiny", steps=1, batch_size=4, log_every=1, sample_every=0,
                         checkpoint_every=1, compile=False, model_args=dict(width=4))
    with pytest.raises(RuntimeError, match="double backward"):          # without --compile: torch's error as it is
        Trainer(config, tmp_path / "a", progress=False, data=data).run()
    trainer = Trainer(config, tmp_path / "b", progress=False, data=data)
    object.__setattr__(trainer.config, "compile", True)                  # as if --compile (nothing compiled here)
    with pytest.raises(GankitError, match="--compile cannot train phase D.*drop --compile"):
        trainer.run()
