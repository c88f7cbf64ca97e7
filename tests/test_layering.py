"""Import layering: each subpackage of gankit may import only what is below it.

Every import counts, at any depth (inside functions too), relative (``from ..api import load``,
``from .. import api``) or absolute (``import gankit.api``, ``from gankit import api``). A bare
``import gankit`` counts as importing ``api`` (``gankit.train`` ... are api's), while ``from .. import x``
counts as importing ``gankit.x``. Every top-level subpackage must have a rule: a new one fails
:func:`test_every_subpackage_has_a_rule` until it is added to ``FORBIDDEN``.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gankit"
TOP = ("api", "cli", "bench")                  # the user-facing modules: nothing below may import them
FORBIDDEN = {
    "nets": ("objectives", "recipes", "training", "metrics", "data", "pipelines", *TOP),
    "objectives": ("recipes", "training", "metrics", "pipelines", *TOP),
    "data": ("nets", "objectives", "recipes", "training", "metrics", "pipelines", *TOP),
    "recipes": ("training", "metrics", "pipelines", *TOP),
    "metrics": ("recipes", "training", "pipelines", *TOP),
    "pipelines": ("training", *TOP),
    "training": TOP,
    "cli": (),
}


def subpackages() -> list[str]:
    return sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))


def imported_modules(source: str, module: str) -> list[str]:
    """Absolute names of everything ``source`` (the text of module ``module``, e.g. 'gankit.metrics.sources'
    or 'gankit.metrics' for its __init__) imports, at any depth; ``from X import a, b`` yields X.a and X.b
    (each may be a module)."""
    is_package = module.count(".") == 1
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            prefix = ".".join(base + (node.module.split(".") if node.module else []))
            if prefix != "gankit":                # `from .. import draws` imports gankit.draws, not all of gankit
                found.append(prefix)
            found += [f"{prefix}.{alias.name}" for alias in node.names]
    return found


def layer_of(name: str):
    """The gankit layer an absolute module name is in ('api', 'metrics', ...), '' for gankit itself, None
    outside gankit."""
    parts = name.split(".")
    if parts[0] != "gankit":
        return None
    return parts[1] if len(parts) > 1 else ""


def violations(layer: str, source: str, module: str) -> list[str]:
    forbidden = set(FORBIDDEN[layer])
    bad = []
    for name in imported_modules(source, module):
        top = layer_of(name)
        if top in forbidden or (top == "" and "api" in forbidden):    # gankit/__init__ imports api
            bad.append(name)
    return bad


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_subpackage_has_a_rule():
    assert not set(subpackages()) - set(FORBIDDEN), "add the new subpackage to FORBIDDEN in test_layering.py"


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    if not (PACKAGE / layer).is_dir():
        pytest.skip(f"no gankit/{layer} in this branch")
    bad = {str(path.relative_to(PACKAGE)): found for path in sorted((PACKAGE / layer).rglob("*.py"))
           if (found := violations(layer, path.read_text(), module_name(path)))}
    assert not bad, f"gankit/{layer} may not import {', '.join(FORBIDDEN[layer])}: {bad}"


@pytest.mark.parametrize("source", [
    "def f():\n    from ..api import load\n",            # the import circle metrics -> api -> training -> metrics
    "def f():\n    if True:\n        from .. import api\n",
    "import gankit.api\n",
    "from gankit import api\n",
    "from gankit.training.trainer import Trainer\n",
    "import gankit\n",
    "from .. import draws, recipes\n",
    "from gankit.cli import main\n",
])
def test_the_check_finds_every_form_of_import(source):
    assert violations("metrics", source, "gankit.metrics.sources")


@pytest.mark.parametrize("source", [
    "from ..data.base import TensorData\n", "from .features import make_extractor\n", "from .. import draws\n",
    "import torch\nfrom torch import nn\n", "from . import conditional\n",
])
def test_the_check_allows_what_is_below(source):
    assert not violations("metrics", source, "gankit.metrics.sources")
    assert not violations("metrics", source, "gankit.metrics")     # an __init__: same package


def test_relative_imports_resolve_from_the_module_or_package():
    assert "gankit.metrics.conditional" in imported_modules("from . import conditional\n", "gankit.metrics")
    assert "gankit.metrics.fid" in imported_modules("from .fid import x\n", "gankit.metrics.kid")
    assert "gankit.api" in imported_modules("from ..api import load\n", "gankit.metrics.sources")


def test_files_stay_small():
    too_long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
                if (n := len(p.read_text().splitlines())) > 450}
    assert not too_long, too_long
