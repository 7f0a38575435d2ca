"""MER Study library: data, features, models, training, metrics, plots and reports.

The notebooks in ``notebooks/`` are thin; everything reusable lives here, one module
per concern (see ``../shared/GUIDE.md`` and the README).
"""

import os as _os
from pathlib import Path as _Path

__version__ = "0.1.0"

# librosa's numba kernels are JIT-compiled and cached; keep that cache in the project's
# cache folder (cleaned by `make clean`) rather than inside site-packages, where a cache
# written by concurrent processes was seen to crash later loads with a segfault.
_os.environ.setdefault(
    "NUMBA_CACHE_DIR",
    str(_Path(_os.environ.get("MER_CACHE_DIR") or _Path(__file__).resolve().parents[1] / ".cache") / "numba"),
)
