"""One registry of named, parameterized feature extractors.

An *extractor* is a function of one clip's source (an audio file, a MIDI file, a text) and
keyword parameters, returning a NumPy array. It is made of two steps:

* a **front end** that turns the clip's source into what the feature needs (audio: load,
  excerpt, augment; MIDI: parse; text: validate), shared by every extractor of that source;
* a **feature function** of that input.

The parameters of an extractor are the keyword defaults of both functions. A paper *preset*
(``zhao2022_mel``, ``mmer_analysis_mfcc``...) is a registered extractor with some of those
defaults changed: a named parameter set, never a copy of code.

Usage::

    from mer_lib import features
    features.available()                         # every name
    features.describe("zhao2022_mel")            # its parameters, source, reference
    features.compute("zhao2022_mel", "clip.wav")

Notebook: ``00_primer`` (the input representations).
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pandas as pd

from mer_lib import provenance


class FeatureError(ValueError):
    """An unknown extractor or parameter, a bad clip, or a misuse such as augmenting test data."""


@dataclass(frozen=True)
class FrontEnd:
    """Turns a clip's source into the input of a feature function.

    Attributes:
        source: The modality it reads (``audio``, ``midi``, ``lyrics``, ``context``, ``comments``).
        function: ``function(source_value, **params)``.
        augmentation: Names of parameters that augment data; they are refused on clips outside
            the training split when not at their defaults.
    """

    source: str
    function: Callable[..., Any]
    augmentation: tuple[str, ...] = ()

    @property
    def defaults(self) -> dict[str, Any]:
        return keyword_defaults(self.function)


@dataclass(frozen=True)
class Extractor:
    """A registered extractor (a base extractor or a preset of one).

    Attributes:
        name: Registry name.
        front_end: How the clip's source is read.
        function: ``function(front_end_output, **params) -> np.ndarray``.
        params: The complete parameter set (front end and feature), with this entry's values.
        description: One line.
        reference: The paper a preset follows (empty for base extractors).
        notebook: The notebook that uses it.
        base: Name of the base extractor of a preset (its own name for a base).
        batch: Optional ``batch(list_of_front_end_outputs, **params) -> list[np.ndarray]`` for
            model-based extractors that are faster on batches in one process than in workers.
        labels: Optional ``labels(**params) -> list[str]`` naming the entries of a vector output.
    """

    name: str
    front_end: FrontEnd
    function: Callable[..., Any]
    params: Mapping[str, Any]
    description: str = ""
    reference: str = ""
    notebook: str = ""
    base: str = ""
    batch: Callable[..., list] | None = None
    labels: Callable[..., list[str]] | None = None
    feature_params: tuple[str, ...] = field(default=())

    @property
    def source(self) -> str:
        return self.front_end.source

    @property
    def code_digest(self) -> str:
        """Digest of the code that computes this extractor (front end, feature and batch
        functions, with what they import from ``mer_lib``) and of the numeric packages:
        part of every cache key, so edited code never returns stale features."""
        return provenance.function_digest(self.front_end.function, self.function, self.batch)

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The full parameter set with ``overrides`` applied; unknown names raise."""
        overrides = dict(overrides or {})
        unknown = [k for k in overrides if k not in self.params]
        if unknown:
            close = difflib.get_close_matches(unknown[0], self.params, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise FeatureError(
                f"extractor {self.name!r} has no parameter {unknown[0]!r}.{hint} "
                f"Its parameters: {', '.join(self.params)}"
            )
        return {**self.params, **overrides}

    def split_params(self, params: Mapping[str, Any]) -> tuple[dict, dict]:
        """(front-end parameters, feature parameters) of a resolved parameter set."""
        front = {k: v for k, v in params.items() if k in self.front_end.defaults}
        feature = {k: v for k, v in params.items() if k in self.feature_params}
        return front, feature

    def augmenting(self, params: Mapping[str, Any]) -> list[str]:
        """Augmentation parameters set away from their neutral defaults."""
        defaults = self.front_end.defaults
        return [k for k in self.front_end.augmentation if params.get(k) != defaults[k]]


def keyword_defaults(function: Callable) -> dict[str, Any]:
    """Keyword parameters of ``function`` (all but the first) and their defaults."""
    params = list(inspect.signature(function).parameters.values())[1:]
    missing = [p.name for p in params if p.default is inspect.Parameter.empty]
    if missing:
        raise TypeError(f"{function.__qualname__}: parameters {missing} need defaults to be registered")
    return {p.name: p.default for p in params}


_REGISTRY: dict[str, Extractor] = {}


def register(name: str, front_end: FrontEnd, *, description: str = "",
             batch: Callable | None = None, labels: Callable | None = None):
    """Decorator registering a feature function as the base extractor ``name``.

    The function's first argument is the front end's output; its keyword defaults (plus the
    front end's) are the extractor's parameters.
    """
    def wrap(function):
        feature = keyword_defaults(function)
        clash = set(feature) & set(front_end.defaults)
        if clash:
            raise TypeError(f"extractor {name!r}: parameters {sorted(clash)} clash with its front end")
        _add(Extractor(
            name=name, front_end=front_end, function=function,
            params={**front_end.defaults, **feature},
            description=description or (inspect.getdoc(function) or "").split("\n")[0],
            base=name, batch=batch, labels=labels, feature_params=tuple(feature),
        ))
        return function
    return wrap


def preset(name: str, base: str, *, reference: str, notebook: str = "", description: str = "",
           **params) -> Extractor:
    """Register ``name`` as ``base`` with some parameters changed (a paper's parameter set)."""
    parent = get(base)
    entry = Extractor(
        name=name, front_end=parent.front_end, function=parent.function,
        params=parent.resolve(params),
        description=description or parent.description, reference=reference, notebook=notebook,
        base=parent.base, batch=parent.batch, labels=parent.labels,
        feature_params=parent.feature_params,
    )
    _add(entry)
    return entry


def _add(entry: Extractor) -> None:
    if entry.name in _REGISTRY:
        raise ValueError(f"extractor {entry.name!r} registered twice")
    _REGISTRY[entry.name] = entry


def get(name: str) -> Extractor:
    """The registered extractor ``name``; an unknown name raises with a close match."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), _REGISTRY, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise FeatureError(
            f"unknown feature extractor {name!r}.{hint} Available: {', '.join(available())}"
        )
    return _REGISTRY[name]


def available(source: str | None = None) -> list[str]:
    """Names of every registered extractor, optionally only those reading ``source``."""
    return sorted(n for n, e in _REGISTRY.items() if source is None or e.source == source)


def describe(name: str | None = None) -> pd.DataFrame:
    """One row per extractor (or just ``name``): source, base, parameters, reference."""
    names = [name] if name is not None else available()
    rows = []
    for entry in (get(n) for n in names):
        rows.append({
            "name": entry.name, "source": entry.source, "base": entry.base,
            "params": ", ".join(f"{k}={v!r}" for k, v in entry.params.items()),
            "reference": entry.reference, "notebook": entry.notebook,
            "description": entry.description,
        })
    return pd.DataFrame(rows).set_index("name")


def labels(name: str, **overrides) -> list[str]:
    """Names of the entries of a vector-valued extractor (e.g. ``audio_stats``)."""
    entry = get(name)
    if entry.labels is None:
        raise FeatureError(f"extractor {name!r} returns an array without entry labels")
    _, feature = entry.split_params(entry.resolve(overrides))
    return entry.labels(**feature)
