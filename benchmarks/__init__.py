"""Benchmarks of the library (``make bench``): ``python -m benchmarks.<name>``."""
