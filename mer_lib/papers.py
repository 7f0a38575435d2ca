"""The five papers the study reproduces: which notebook, which data the paper's numbers come from.

One table, read by the reports index (:mod:`mer_lib.report_index`) so that a paper's number is
never shown next to ours without saying on which data each was measured.

Notebook: every paper notebook (its "Paper vs. this study" section).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    """A reproduced paper.

    Attributes:
        key: Short key (``zhao2023``), the prefix of its feature presets and model names.
        citation: Authors, venue, year.
        paper_data: The data behind the paper's reported numbers.
        same_data: Our dataset names on which the paper's numbers were measured (same data and
            split); results on any other dataset are for orientation only.
    """

    key: str
    citation: str
    paper_data: str
    same_data: tuple[str, ...] = ()


#: Notebook name → paper. The primer reproduces no paper.
PAPERS: dict[str, Paper] = {
    "01_jeon2017_end_to_end_polarity": Paper(
        "jeon2017", "Jeon et al., RecSys 2017",
        "7,484 K-pop tracks from NAVER Music, positive/negative (private)"),
    "02_rajamani2020_attention_tagging": Paper(
        "rajamani2020", "Rajamani et al., MediaEval 2020",
        "MTG-Jamendo mood/theme, MediaEval 2020 test split", same_data=("mediaeval2020_results",)),
    "03_zhao2023_multifaceted_piano": Paper(
        "zhao2023", "Zhao & Yoshii 2023",
        "EMOPIA official split, with recorded audio", same_data=("emopia",)),
    "04_zhao2022_hierarchical_attention": Paper(
        "zhao2022", "Zhao et al., ICME 2022",
        "2,000 Deezer MSDD songs with audio and lyrics (R²); MoodyLyrics (F1)"),
    "05_mmer_analysis_unimodal_fusion": Paper(
        "mmer_analysis", "'Analysis of multimodal MER' project",
        "its social-tag dataset with audio, lyrics and comments", same_data=("social_tags",)),
}


def paper_of(notebook: str) -> Paper | None:
    """The paper a notebook reproduces, or None (the primer)."""
    return PAPERS.get(notebook)


def comparable(notebook: str, dataset: str) -> bool:
    """Whether the paper's numbers were measured on ``dataset`` (else: orientation only)."""
    paper = paper_of(notebook)
    return paper is not None and dataset in paper.same_data
