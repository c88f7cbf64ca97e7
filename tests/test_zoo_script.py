"""benchmarks/zoo.py's bookkeeping on fake numbers: aggregation, the table, the docs markers (no training)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "zoo.py"


@pytest.fixture(scope="module")
def zoo():
    spec = importlib.util.spec_from_file_location("zoo_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record(model, seed, wall, fid, metric=None, data="mnist"):
    result = {"model": model, "seed": seed, "data": data, "steps": 300, "batch_size": 64, "config": {},
              "wall_s": wall, "s_per_step": wall / 300,
              "fid": {"value": fid, "protocol": "tf-inception-pool3-2048", "n_fake": 500, "n_real": 500,
                      "versus": f"{data}@test"}}
    if metric is not None:
        result["metric"] = {"name": "conditional-accuracy", "value": metric, "n": 1000}
    return result


def test_aggregate_mean_and_sample_std(zoo):
    records = [record("acgan", 0, 30.0, 100.0, 0.5), record("acgan", 1, 60.0, 120.0, 0.7),
               record("dcgan", 0, 10.0, 80.0, data="fashion-mnist")]
    acgan, dcgan = zoo.aggregate(records)
    assert acgan["seeds"] == [0, 1] and acgan["wall_s"] == pytest.approx((45.0, 21.2132), rel=1e-4)
    assert acgan["fid"] == pytest.approx((110.0, 14.1421), rel=1e-4)
    assert acgan["metric"]["value"] == pytest.approx((0.6, 0.141421), rel=1e-4)
    assert dcgan["fid"] == (80.0, None) and dcgan["metric"] is None        # one seed: no std


def test_table_rows(zoo):
    records = [record("acgan", 0, 30.0, 100.0, 0.5), record("acgan", 1, 60.0, 120.0, 0.7),
               record("dcgan", 0, 10.0, 80.0, data="fashion-mnist")]
    table = zoo.render_table(zoo.aggregate(records), "python benchmarks/zoo.py --seeds 2", "2 CPU cores, torch X")
    assert "python benchmarks/zoo.py --seeds 2" in table and "2 CPU cores, torch X" in table
    rows = [line for line in table.splitlines() if line.startswith("| acgan") or line.startswith("| dcgan")]
    assert rows[0] == ("| acgan | mnist | 300 | 64 | 45.0 ± 21.2 | — | 0.150 ± 0.071 | 110.0 ± 14.1 | "
                       "tf-inception-pool3-2048, 500 samples vs 500 mnist@test | "
                       "conditional-accuracy 0.600 ± 0.141 (n=1000) | 2 (0, 1) |")
    assert rows[1].startswith("| dcgan | fashion-mnist | 300 | 64 | 10.0 | — | 0.033 | 80.0 |")
    assert rows[1].endswith("| — | 1 (0) |")
    assert "rank-deficient" in table                                         # n = 500 <= 2048


def test_markers_replaced_or_section_appended(zoo, tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nintro\n")
    once = zoo.replace_marked(docs.read_text(), "TABLE 1")
    assert once.count(zoo.SECTION) == 1 and f"{zoo.BEGIN}\nTABLE 1\n{zoo.END}" in once
    twice = zoo.replace_marked(once + "\n## Later section\n", "TABLE 2")
    assert "TABLE 1" not in twice and f"{zoo.BEGIN}\nTABLE 2\n{zoo.END}" in twice
    assert twice.count(zoo.SECTION) == 1 and twice.startswith("# Benchmarks\n\nintro\n")
    assert twice.rstrip().endswith("## Later section")
    with pytest.raises(SystemExit):
        zoo.replace_marked(f"text {zoo.BEGIN} without an end", "TABLE")


def test_model_settings_follow_the_docs(zoo):
    assert zoo.model_settings("gan")["data"] == "fashion-mnist"
    assert zoo.model_settings("sgan")["config"] == {"labels_per_class": 10}
    assert zoo.model_settings("sgan")["metric"] == "test-accuracy"
    assert zoo.model_settings("infogan")["metric"] == "infogan-purity"
    assert zoo.model_settings("cdcgan")["metric"] == zoo.model_settings("acgan")["metric"] == "conditional-accuracy"


def test_table_names_exist(zoo):
    import gankit
    assert set(zoo.ZOO) <= set(gankit.list_models())
    metrics = {settings["metric"] for settings in zoo.ZOO.values() if settings.get("metric")}
    assert metrics <= set(gankit.list_metrics())
    datasets = {settings["data"] for settings in zoo.ZOO.values()}
    assert datasets <= set(gankit.list_datasets())


def test_budget_steps_and_settings(zoo):
    assert zoo.budget_steps(30, 2.0) == 900 and zoo.budget_steps(0.01, 5.0) == 1     # at least one step
    # a growing recipe: 250 earlier-stage steps cost 60 CPU s, the rest of 30 min buys last-stage steps at 0.3 s
    assert zoo.budget_steps(30, 0.3, start=250, before=60.0) == 250 + 5800
    assert zoo.budget_steps(1, 0.3, start=250, before=90.0) == 251               # budget spent before: one more
    biggan = zoo.model_settings("biggan", image_size=32)
    assert biggan["data"] == "fashion-mnist" and biggan["metric"] is None    # the MNIST classifier needs mnist
    assert biggan["config"]["image_size"] == 32 and biggan["config"]["model_args"] == {"width": 16}
    assert zoo.model_settings("biggan", data="mnist")["metric"] == "conditional-accuracy"
    assert "image_size" not in zoo.ZOO["biggan"]["config"]                  # settings are copies
    narrow = zoo.model_settings("biggan[width=8]", data="mnist")
    assert narrow["model"] == "biggan" and narrow["config"]["model_args"] == {"width": 8}
    assert zoo.ZOO["biggan"]["config"]["model_args"] == {"width": 16}


def test_named_table_markers(zoo):
    text = "# Benchmarks\n\n<!-- zoo:begin -->\nold\n<!-- zoo:end -->\n"
    added = zoo.replace_marked(text, "new table", "resnet32")
    assert "<!-- zoo:begin -->\nold\n<!-- zoo:end -->" in added
    assert added.endswith("<!-- resnet32:begin -->\nnew table\n<!-- resnet32:end -->\n")
    assert zoo.replace_marked(added, "newer", "resnet32").count("resnet32:begin") == 1


def test_curve_rows(zoo):
    records = [dict(record("dcgan", 0, 10.0, 80.0), curve=[{"step": 100, "cpu_s": 5.0, "fid": 120.0},
                                                          {"step": 300, "cpu_s": 15.0, "fid": 80.0}])]
    assert "| dcgan seed 0 | 100 / 5 s → 120.0, 300 / 15 s → 80.0 |" in zoo.render_curves(records)
    assert zoo.render_curves([record("gan", 0, 1.0, 9.0)]) == ""


def test_variants(zoo):
    assert zoo.split_variant("sngan") == ("sngan", {})
    assert zoo.split_variant("sngan[reg=r1:gamma=1,lazy_interval=16]") == \
        ("sngan", {"regularizers": ("r1:gamma=1,lazy_interval=16",)})
    assert zoo.split_variant("sngan[latent-opt=logan]") == ("sngan", {"latent_opt": "logan"})
    with pytest.raises(SystemExit, match="KEY one of reg"):
        zoo.split_variant("sngan[depth=3]")
    with pytest.raises(SystemExit, match="whole number"):
        zoo.split_variant("sngan[width=x]")
    assert zoo.split_variant("sngan[reg=rotation][width=8]") == \
        ("sngan", {"regularizers": ("rotation",), "model_args": {"width": 8}})
    with pytest.raises(SystemExit, match="given twice"):
        zoo.split_variant("sngan[reg=r1][reg=cr]")
    chained = zoo.model_settings("sngan[reg=ortho][width=8]", image_size=32)
    assert chained["config"]["regularizers"] == ("ortho",) and chained["config"]["model_args"] == {"width": 8}
    assert zoo.folder_name("sngan[reg=ortho][width=8]") == "sngan_reg=ortho__width=8"
    settings = zoo.model_settings("sngan[reg=cr]", image_size=32)
    assert settings["model"] == "sngan" and settings["config"]["regularizers"] == ("cr",)
    assert settings["config"]["model_args"] == {"width": 16}
    assert zoo.folder_name("sngan[reg=r1:gamma=1]") == "sngan_reg=r1_gamma=1"
