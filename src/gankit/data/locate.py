"""Where datasets are looked for on disk, shared by every file-based dataset.

For a dataset ``name`` the candidate folders are, in order: ``root/<name>/`` and ``root`` (the builder's
``root`` argument), ``$GANKIT_DATA/<name>/`` and ``$GANKIT_DATA``, then gankit's cache
``cache_dir()/<name>/`` (``$GANKIT_CACHE``, default ``~/.cache/gankit``). The named subfolder comes first
in each place because several datasets share file names.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from ..errors import GankitError
from .download import cache_dir


def env_path(variable: str) -> Optional[Path]:
    """The folder named by an environment variable, or None when it is unset or empty."""
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else None


def dataset_folders(name: str, root=None) -> list[Path]:
    """The folders searched for dataset ``name``, in order (see the module docstring)."""
    folders: list[Path] = []
    for base in (Path(root).expanduser() if root else None, env_path("GANKIT_DATA")):
        if base is not None:
            folders += [base / name, base]
    folders.append(cache_dir() / name)
    return folders


def find_dataset_folder(name: str, root=None, subpath: str = "") -> Optional[Path]:
    """The first of :func:`dataset_folders` that holds ``subpath`` (a file or folder), or None."""
    for folder in dataset_folders(name, root):
        if (folder / subpath).exists():
            return folder
    return None


def looked_in(name: str, root=None, subpath: str = "") -> str:
    """The searched paths as one comma-separated phrase, for 'not found' messages."""
    return ", ".join(str(folder / subpath) for folder in dataset_folders(name, root))


def download_allowed(download) -> bool:
    """``download`` when given, else True unless ``$GANKIT_OFFLINE`` is 1/true/yes."""
    if download is not None:
        return bool(download)
    return os.environ.get("GANKIT_OFFLINE", "").strip().lower() not in ("1", "true", "yes")


def not_found(title: str, name: str, root, subpath: str, how: str) -> GankitError:
    """The one-line error for a dataset found in none of its folders: where it was looked for, then ``how``
    to get it."""
    return GankitError(f"{title} not found (looked for {looked_in(name, root, subpath)}); {how}")


def required_folder(title: str, name: str, root, subpath: str, how: str) -> Path:
    """The folder holding ``name``'s ``subpath`` (see :func:`find_dataset_folder`), or :func:`not_found`."""
    base = find_dataset_folder(name, root, subpath)
    if base is None:
        raise not_found(title, name, root, subpath, how)
    return base
