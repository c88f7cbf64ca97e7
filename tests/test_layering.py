"""Import layering: nets/objectives never import training/cli/api; training never imports cli."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gankit"
FORBIDDEN = {"nets": ("training", "cli", "api", "recipes"), "objectives": ("training", "cli", "api", "recipes"),
             "data": ("training", "cli", "api", "recipes"), "training": ("cli",), "metrics": ("cli", "training")}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            yield ("." * node.level) + base
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    for path in (PACKAGE / layer).rglob("*.py"):
        for module in imported_modules(path):
            parts = module.lstrip(".").split(".")
            top = parts[1] if parts[0] == "gankit" and len(parts) > 1 else parts[0]
            if module.startswith("..") or module.startswith("gankit"):
                assert top not in FORBIDDEN[layer], f"{path.relative_to(PACKAGE)} imports {module}"


def test_files_stay_small():
    too_long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
                if (n := len(p.read_text().splitlines())) > 450}
    assert not too_long, too_long
