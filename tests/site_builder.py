"""``site/build.py`` as a module for the tests (it is a script beside the site, and the name
``site`` is taken by Python's standard library, so it cannot be imported as ``site.build``)."""

import importlib.util

from mer_lib.paths import PROJECT_ROOT

_spec = importlib.util.spec_from_file_location("site_build", PROJECT_ROOT / "site" / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)
