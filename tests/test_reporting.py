"""Reports: results.json schema, aggregation over seeds, tables, the index."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mer_lib import report_index, reporting
from mer_lib.reporting import paper_vs_ours, start_run, summarize_scores

SCHEMA_KEYS = {"notebook", "profile", "dataset", "seeds", "metrics", "metrics_std", "paper",
               "params", "versions", "git_commit", "timings", "cpu"}


@pytest.fixture
def run(tmp_path):
    return start_run("00_primer", "smoke", "synthetic", params={"SEED": 0}, out_dir=tmp_path / "r")


def test_results_json_schema_and_aggregation(run):
    scores = pd.DataFrame({"row": ["full"] * 3 + ["symbolic_lr"] * 3, "seed": [0, 1, 2] * 2,
                           "q4_acc": [0.6, 0.7, 0.8, 0.5, 0.5, 0.5]})
    results = run.write_results(scores, paper={"full.q4_acc": 0.692})
    on_disk = json.loads((run.out_dir / "results.json").read_text())
    assert SCHEMA_KEYS <= set(on_disk)
    assert on_disk["seeds"] == [0, 1, 2]
    assert on_disk["metrics"]["full.q4_acc"] == pytest.approx(0.7)
    assert on_disk["metrics_std"]["full.q4_acc"] == pytest.approx(0.1)  # sample std
    assert on_disk["metrics_std"]["symbolic_lr.q4_acc"] == 0.0
    assert on_disk["paper"] == {"full.q4_acc": 0.692}
    assert results == on_disk


def test_single_seed_std_is_zero_and_nan_is_skipped():
    metrics, std = summarize_scores(pd.DataFrame({"row": ["a", "b"], "seed": [0, 0], "r2": [0.3, np.nan]}))
    assert metrics == {"a.r2": 0.3} and std == {"a.r2": 0.0}


def test_bad_names_are_refused(run):
    with pytest.raises(ValueError, match="lower_snake_case"):
        run.write_results(pd.DataFrame({"row": ["Full"], "seed": [0], "acc": [1.0]}))
    with pytest.raises(ValueError, match="'seed'"):
        run.write_results(pd.DataFrame({"row": ["full"], "acc": [1.0]}))


def test_tables_and_figures_are_written(run):
    path = run.save_table(pd.DataFrame({"x": [1.23456]}), "demo_table")
    assert path.read_text().startswith(",x") and path.with_suffix(".md").read_text().startswith("|")
    fig, ax = plt.subplots()
    assert run.save_figure(fig, "demo_figure").stat().st_size > 1000


def test_paper_vs_ours_aligns_keys_and_gives_a_delta_only_on_the_papers_data():
    results = {"notebook": "03_zhao2023_multifaceted_piano", "dataset": "emopia",
               "paper": {"full.q4_acc": 0.692, "full.valence_acc": 0.869},
               "metrics": {"full.q4_acc": 0.70}, "metrics_std": {"full.q4_acc": 0.01}}
    table = paper_vs_ours(results)
    assert table.loc[("full", "q4_acc"), "delta"] == pytest.approx(0.008)
    assert np.isnan(table.loc[("full", "valence_acc"), "ours"])
    elsewhere = paper_vs_ours({**results, "dataset": "synthetic"})
    assert elsewhere.loc[("full", "q4_acc"), "paper"] == 0.692
    assert np.isnan(elsewhere.loc[("full", "q4_acc"), "delta"])


def test_index_lists_every_run(tmp_path):
    for profile in ("demo", "smoke"):
        run = start_run("00_primer", profile, "synthetic", out_dir=tmp_path / "00_primer" / profile)
        run.write_results(pd.DataFrame({"row": ["audio_lr"], "seed": [0], "q4_acc": [0.5]}),
                          paper={"audio_lr.q4_acc": 0.523})
    text = report_index.write_index(tmp_path).read_text()
    assert text.count("| [00_primer]") == 2
    assert "`audio_lr.q4_acc` 0.500 / 0.523" in text


def test_index_labels_paper_numbers_from_other_data(tmp_path):
    scores = pd.DataFrame({"row": ["full"], "seed": [0], "q4_acc": [0.6]})
    for profile, dataset in (("demo", "synthetic"), ("emopia", "emopia")):
        run = start_run("03_zhao2023_multifaceted_piano", profile, dataset,
                        out_dir=tmp_path / "03_zhao2023_multifaceted_piano" / profile)
        run.write_results(scores, paper={"full.q4_acc": 0.692})
    rows = {line.split(" | ")[1]: line for line in
            report_index.write_index(tmp_path).read_text().splitlines() if line.startswith("| [03")}
    assert rows["demo"].endswith("(different data: orientation only) |")
    assert rows["emopia"].endswith("(**same data**) |")


def per_seed_scores():
    return pd.DataFrame({"row": ["a", "a", "b", "b", "c", "c"], "seed": [0, 1] * 3,
                         "acc": [0.8, 0.6, 0.5, 0.7, 0.9, 0.9]})


def test_mean_std_formats_each_row_in_first_seen_order():
    table = reporting.mean_std(per_seed_scores(), ["acc"])
    assert list(table.index) == ["a", "b", "c"]
    assert table.loc["a", "acc"] == "0.700 ± 0.141" and table.loc["c", "acc"] == "0.900 ± 0.000"
    single = reporting.mean_std(per_seed_scores().query("seed == 0"), ["acc"], digits=2)
    assert single.loc["b", "acc"] == "0.50 ± 0.00"


def test_a_rows_scores_per_seed_are_indexed_by_seed_so_two_rows_pair_up():
    scores = per_seed_scores().iloc[::-1]  # the seeds of "a" and "b" in another order
    b = reporting.per_seed(scores, "b", "acc")
    assert b.index.name == "seed" and b.to_dict() == {1: 0.7, 0: 0.5}
    assert (reporting.per_seed(scores, "a", "acc") - b).to_dict() == pytest.approx({0: 0.3, 1: -0.1})


def test_paired_differences_pair_rows_by_seed():
    table = reporting.paired_differences(per_seed_scores(), "a", "acc")
    assert list(table.index) == ["b", "c"]
    assert table.loc["b", "a minus row (acc)"] == pytest.approx(0.1)
    assert table.loc["b", "seeds where a is better"] == "1/2"
    assert table.loc["c", "std over seeds"] == pytest.approx(np.std([-0.1, -0.3], ddof=1))
    assert reporting.paired_differences(per_seed_scores(), "z", "acc").empty
