"""The row shape: declaring a paper's rows, selecting them by name, skipping what data lacks."""

import pytest

from mer_lib.data import DatasetError
from mer_lib.experiments import rows
from mer_lib.experiments.rows import Row

ROWS = rows.table(
    Row("audio", model="jeon2017_audio_cnn", inputs=("audio",), modalities=("audio",), targets=("polarity",)),
    Row("lyrics", model="jeon2017_lyrics_cnn", inputs=("lyrics",), modalities=("lyrics",), targets=("polarity",),
        options={"dropout": 0.1}),
    Row("fusion", modalities=("audio", "lyrics"), reuses=("audio", "lyrics")),
)


def test_rows_build_their_registered_model_with_merged_options():
    net = ROWS["lyrics"].build(vocab_size=50)
    assert net.head[2].p == 0.1 and ROWS["lyrics"].build(vocab_size=50, dropout=0.3).head[2].p == 0.3
    with pytest.raises(ValueError, match="not a network"):
        ROWS["fusion"].build()


def test_a_row_declared_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        rows.table(ROWS["audio"], ROWS["audio"])


def test_select_suggests_names_and_requires_the_rows_a_fusion_reuses():
    assert [r.name for r in rows.select(ROWS, ["lyrics", "audio"])] == ["lyrics", "audio"]
    with pytest.raises(ValueError, match="Did you mean 'lyrics'"):
        rows.select(ROWS, ["lyric"])
    with pytest.raises(ValueError, match=r"built from the trained \['lyrics'\]"):
        rows.select(ROWS, ["audio", "fusion"], parameter="MODELS")


def test_runnable_skips_rows_the_dataset_cannot_feed_and_says_why():
    ran, status = rows.runnable(list(ROWS.values()), modalities=("audio",), targets=("polarity",))
    assert [r.name for r in ran] == ["audio"]
    assert status.loc["lyrics", "status"] == "skipped: lacks lyrics"
    assert status.loc["fusion", "status"] == "skipped: lacks lyrics"

def test_runnable_reports_every_row_skipped_instead_of_raising_when_no_row_is_required():
    ran, status = rows.runnable(list(ROWS.values()), ("audio",), (), require_one=False)
    assert ran == [] and status["status"].tolist() == ["skipped: lacks polarity", "skipped: lacks lyrics, polarity",
                                                       "skipped: lacks lyrics"]


def test_runnable_names_what_is_missing_when_no_row_can_run():
    with pytest.raises(DatasetError, match=r"mine can feed none .*audio: lacks polarity.* targets \[\]"):
        rows.runnable(list(ROWS.values()), ("audio", "lyrics"), (), dataset="mine")


def test_runnable_judges_a_fusion_by_its_parts_in_any_order():
    ordered = [ROWS["fusion"], ROWS["audio"], ROWS["lyrics"]]
    ran, status = rows.runnable(ordered, ("audio", "lyrics"), ("polarity",))
    assert [r.name for r in ran] == ["fusion", "audio", "lyrics"]
    ran, status = rows.runnable([ROWS["fusion"], ROWS["audio"]], ("audio", "lyrics"), ("polarity",))
    assert status.loc["fusion", "status"] == "skipped: needs lyrics"
