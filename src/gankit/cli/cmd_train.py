"""`gankit train MODEL --data NAME --steps N --out RUN_DIR [--resume RUN_DIR] [--set key=value ...]`."""
from __future__ import annotations

import dataclasses
import sys
import warnings
from pathlib import Path

from ..config import TrainConfig, apply_overrides, load_config
from ..errors import GankitError

# command-line flags that map one-to-one onto TrainConfig fields
FLAGS = {"steps": int, "batch_size": int, "seed": int, "lr_g": float, "lr_d": float, "n_critic": int,
         "optimizer": str, "image_size": int, "channels": int, "sample_every": int,
         "checkpoint_every": int, "log_every": int, "eval_every": int, "eval_metric": str,
         "eval_num": int, "device": str, "objective": str, "labels_per_class": int, "label": str,
         "data_workers": int, "precision": str, "latent_opt": str}
# on/off switches that map onto boolean TrainConfig fields
SWITCHES = {"channels_last": "store weights and image batches channels-last (NHWC)",
            "compile": "torch.compile the generator and discriminator (in place; checkpoints unchanged)",
            "sync_bn": "batch-norm statistics over all torchrun processes (GPUs only)"}

# what each flag sets; "(default: ...)" is added from TrainConfig, or from UNSET where its default is None
FLAG_HELP = {"steps": "training steps in all (with --resume: the total to reach)",
             "batch_size": "samples per batch (the global batch: under torchrun each process trains on batch/N)",
             "seed": "seed of the weights, batches and latents (same seed, same run)",
             "lr_g": "generator learning rate", "lr_d": "discriminator learning rate",
             "n_critic": "discriminator steps per generator step",
             "optimizer": "adam or rmsprop",
             "image_size": "resize images to this size", "channels": "convert images to this many channels",
             "sample_every": "write a sample grid to RUN/samples every N steps (0: never)",
             "checkpoint_every": "save a checkpoint every N steps (0: never; the run cannot be resumed)",
             "log_every": "average the losses over N steps into metrics.jsonl and TensorBoard (0: never)",
             "eval_every": "measure --eval-metric every N steps (0: never)",
             "eval_metric": "metric measured during training (`gankit list metrics`)",
             "eval_num": "samples per training-time evaluation",
             "device": "auto (cuda when torch sees a GPU, else cpu), cpu, cuda or cuda:N",
             "label": "which label is the class, for data with several (celeba: an attribute such as Smiling; "
                      "utkface: gender, race or age-decade)",
             "labels_per_class": "semi-supervised: keep this many labels per class, the rest unlabelled",
             "data_workers": "processes decoding streamed image files ahead of training",
             "precision": "fp32, bf16 (autocast) or fp16 (autocast + loss scaling, GPU only)",
             "latent_opt": "LOGAN's latent optimisation (Wu et al. 2019), e.g. logan or "
                           "logan:alpha=0.9,beta=5,weight=300,fraction=0.5,natural=false",
             "objective": "adversarial loss (`gankit list objectives`); naming one, even the model's default, "
                          "brings its paper's lr/betas/n_critic, omitting it keeps the model's own"}
# what a flag left out means, where TrainConfig's default is None
UNSET = {"lr_g": "the model's or objective's paper value", "lr_d": "the model's or objective's paper value",
         "n_critic": "the model's or objective's paper value", "optimizer": "the model's own",
         "image_size": "the dataset's own", "channels": "the dataset's own", "objective": "the model's own",
         "label": "the dataset's class label", "labels_per_class": "all labels kept", "latent_opt": "none"}


def flag_help(flag: str) -> str:
    default = {item.name: item.default for item in dataclasses.fields(TrainConfig)}[flag]
    return f"{FLAG_HELP[flag]} (default: {UNSET[flag] if default is None else default})"


def register(subparsers):
    parser = subparsers.add_parser("train", help="train a model (or resume a run)")
    parser.add_argument("model", nargs="?", help="registered model name (see `gankit list models`)")
    parser.add_argument("--data", help="dataset name (see `gankit list datasets`), e.g. mnist, image-folder:PATH "
                                       "(default: the model's own, else mnist)")
    parser.add_argument("--out", help="run folder (default: runs/MODEL)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR up to --steps")
    parser.add_argument("--config", help="a JSON or TOML config file (flags given override it)")
    parser.add_argument("--reg", action="append", dest="regularizers", default=None,
                        help="regularizer name (repeatable), see `gankit list regularizers` (default: none)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set model_args.width=32 --set betas=[0,0.9]")
    parser.add_argument("--quiet", "--no-progress", dest="quiet", action="store_true",
                        help="no progress bar and no device line (errors and warnings still shown)")
    for flag, kind in FLAGS.items():
        # appended, not overwritten, so that a repeated --eval-metric is refused instead of dropped
        action = "append" if flag == "eval_metric" else "store"
        parser.add_argument("--" + flag.replace("_", "-"), type=kind, default=None, action=action,
                            help=flag_help(flag))
    for flag, text in SWITCHES.items():
        parser.add_argument("--" + flag.replace("_", "-"), action="store_true", default=None,
                            help=f"{text} (default: off)")
    parser.set_defaults(func=run)


def single_eval_metric(metrics: list[str]) -> str:
    """The one ``--eval-metric`` given (training logs one metric); a repeat is refused, not dropped."""
    if len(metrics) > 1:
        raise GankitError(f"--eval-metric takes one metric during training, got {len(metrics)} "
                          f"({', '.join(metrics)}); give one, and measure several after training with "
                          f"`gankit eval RUN_DIR {' '.join('--metric ' + m for m in metrics)}`")
    return metrics[0]


def warn_stage_batch_sizes(model: str, batch_size) -> None:
    """A model whose stages set the batch size per resolution (registry meta ``stage_batch_sizes``: the builder
    option that sets them) does not use --batch-size: say so, and how to set them."""
    from ..registry import MODELS
    option = MODELS.entry(model).meta.get("stage_batch_sizes")
    if batch_size is not None and option:
        warnings.warn(f"{model}'s stages set their own batch size per resolution, so --batch-size {batch_size} is "
                      f"not used; set theirs with --set model_args.{option}={batch_size}")


def resolve_config(args) -> tuple[TrainConfig, Path, bool]:
    from ..api import run_config
    chosen = {flag: getattr(args, flag) for flag in (*FLAGS, *SWITCHES) if getattr(args, flag) is not None}
    if "eval_metric" in chosen:
        chosen["eval_metric"] = single_eval_metric(chosen["eval_metric"])
    if args.regularizers:
        chosen["regularizers"] = tuple(args.regularizers)
    if args.resume:
        out_dir = Path(args.resume)
        if args.out and Path(args.out) != out_dir:
            raise GankitError(f"--resume continues {out_dir} in place; drop --out {args.out} (to start a new run "
                              "from scratch, use --out without --resume)")
        if args.config:
            raise GankitError(f"--resume takes its settings from {out_dir}; drop --config {args.config}")
        config = run_config(out_dir)
        if args.model and args.model != config.model:
            raise GankitError(f"{out_dir} holds a '{config.model}' run, not '{args.model}'; "
                              f"use `gankit train {config.model} --resume {out_dir}`")
        if args.data and args.data != config.data:
            raise GankitError(f"{out_dir} was trained on '{config.data}', not '{args.data}'; drop --data to resume")
        return apply_overrides(config.replace(**chosen), args.set), out_dir, True
    if args.config:
        config = load_config(args.config, model=args.model, data=args.data).replace(**chosen)
    else:
        if not args.model:
            raise GankitError("no model given; use `gankit train MODEL --data DATASET` (see `gankit list`)")
        from ..registry import MODELS
        entry = MODELS.entry(args.model)
        config = TrainConfig(model=entry.name, data=args.data or entry.meta.get("data", "mnist"), **chosen)
    config = apply_overrides(config, args.set)
    warn_stage_batch_sizes(config.model, chosen.get("batch_size"))
    for key, given in (("model", args.model), ("data", args.data)):
        if given and getattr(config, key) != given:
            raise GankitError(f"--set {key}={getattr(config, key)} contradicts the {key} given ('{given}'); "
                              f"give the {key} once")
    return config, Path(args.out or f"runs/{config.model}"), False


def run(args):
    import gankit
    config, out_dir, resume = resolve_config(args)
    trainer = gankit.train(config, out_dir, resume=resume, progress=not args.quiet)
    if not trainer.dist.is_main:                 # torchrun: rank 0 reports
        return
    if trainer.step == trainer.start_step:
        print(f"gankit: note: {out_dir} was already at step {trainer.step}, at or past --steps {config.steps}: "
              f"nothing was trained; give --steps above {trainer.step} to continue", file=sys.stderr)
        return
    outputs = [f"checkpoint {trainer.last_checkpoint}" if trainer.last_checkpoint else "no checkpoint saved"]
    if (out_dir / "samples").is_dir():
        outputs.append(f"samples in {out_dir / 'samples'}")
    print(f"trained {config.model} on {config.data} to step {trainer.step}: {out_dir} ({', '.join(outputs)})")
