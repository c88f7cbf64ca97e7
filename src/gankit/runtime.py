"""Where and how gankit runs: the device by name, output paths it can write, and process-wide settings for speed.

:func:`resolve_device` turns ``--device`` values into a torch device, with a one-line error when the
device is not usable here (a CPU-only torch asked for ``cuda``, a GPU index that does not exist, a device
type such as ``meta`` or ``xla`` that gankit cannot run on). :func:`check_output_file` and
:func:`check_output_dir` refuse, before any work, a path that cannot be written (a folder given for a file,
a file given for a folder, a read-only place), so the work is not lost when its result cannot be saved;
:func:`replace_atomically` is how every file gankit writes (checkpoints, PNGs, statistics, caches, logs) lands.

The ``gankit`` command also applies process-wide settings for speed (library users may call them too).

glibc's malloc hands a freed block above its mmap threshold (adaptive, at most 32 MB) back to the kernel,
and the next allocation of that size faults fresh zeroed pages in one by one. Convolutions at 299x299
allocate such blocks on every batch: the FID Inception's activations are 50-300 MB at batch 50. On the
2-core CPU of docs/benchmarks.md over a quarter of the Inception's CPU time went to those page faults
(system time), and :func:`keep_freed_memory` took its forward from 8.7 to 14.3 images/s at batch 50
(``python benchmarks/bench_fid.py allocator --n 400``). The price: freed memory stays with the process until it
exits, so its footprint stays at its peak. That suits a command that exits when done, so ``gankit``
calls it at start; ``GANKIT_KEEP_FREED_MEMORY=0`` turns it off.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import uuid
import tempfile
from pathlib import Path

import torch

from .errors import GankitError

M_TRIM_THRESHOLD = -1        # mallopt parameters (glibc's malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 30     # blocks of 1 GiB and more still come from (and go back to) mmap
TRIM_THRESHOLD = (1 << 31) - 1


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory for reuse; True when it took effect (False: not glibc, or opted out)."""
    if os.environ.get("GANKIT_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version         # glibc only: musl & co. accept mallopt but ignore it
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """``"auto"`` (every command's default) or ``None``: cuda when torch sees a GPU, else cpu. Otherwise the
    named device, if this machine has it."""
    if name is None or name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        raise GankitError(f"unknown device '{name}'; use auto, cpu, cuda or cuda:N") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise GankitError(f"device '{name}' cannot run gankit (it runs on cpu, cuda and mps); "
                          f"devices here: {', '.join(usable_devices())}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise GankitError(f"device '{name}' requested but CUDA is not available here (torch "
                              f"{torch.__version__}); use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise GankitError(f"device '{name}' requested but this machine has {torch.cuda.device_count()} "
                              "CUDA device(s); use cuda:0 .. cuda:N-1")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise GankitError(f"device '{name}' requested but MPS is not available here; use --device cpu")
    return device


def usable_devices() -> list[str]:
    """The ``--device`` values this machine can run: cpu, then cuda / cuda:N and mps where present."""
    names = ["auto", "cpu"]
    if torch.cuda.is_available():
        names += ["cuda", f"cuda:0 .. cuda:{torch.cuda.device_count() - 1}"]
    if torch.backends.mps.is_available():
        names.append("mps")
    return names


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """``path`` as a Path, or a one-line error when a file cannot be written there: it is a folder, or its
    folder can neither be found nor created writable. Call it before the work whose result goes there."""
    path = Path(path)
    if path.is_dir():
        raise GankitError(f"{what} {path} is a folder, not a file; give a file path (e.g. {path / 'NAME'})")
    check_can_create_in(path.parent, what, path)
    return path


def check_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """``path`` as a Path, or a one-line error when it cannot be (or become) a writable folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise GankitError(f"{what} {path} is an existing file, not a folder; choose another folder")
    check_can_create_in(path, what, path)
    return path


def check_can_create_in(folder: Path, what: str, target: Path) -> None:
    """A one-line error unless files can be created in ``folder``, or in the existing folder it would be made in
    (a throw-away temporary file is the one test that holds for root, read-only mounts and /proc alike)."""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise GankitError(f"cannot write {what} {target}: {existing} is a file, not a folder; choose another path")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise GankitError(f"cannot write {what} {target}: {existing} is not writable ({error.strerror}); "
                          "choose another path") from None


def replace_atomically(path: Path, write) -> None:
    """``write(temporary_path)``, then rename it into ``path``: readers never see half a file. The
    temporary name is unique (concurrent runs, threads) and the file is removed if anything fails; it is
    created as ``open`` creates files, so the result has the user's usual permissions."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def torchrun_gpu(local_rank: int) -> str:
    """``cuda:LOCAL_RANK`` for a torchrun process on this machine (one process per GPU), or a one-line error
    when torchrun started more processes here than the machine has GPUs."""
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise GankitError(f"torchrun started more processes on this machine than it has GPUs ({count}); give "
                          f"--nproc_per_node {count}, or --device cpu for CPU processes")
    return f"cuda:{local_rank}"


def join_torchrun_group(device: str, timeout=None) -> None:
    """Join the process group torchrun describes in the environment, once: NCCL for a ``cuda:N`` device
    (made current), gloo otherwise."""
    import torch.distributed as dist
    if dist.is_initialized():
        return
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
    options = {} if timeout is None else {"timeout": timeout}
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo", **options)
