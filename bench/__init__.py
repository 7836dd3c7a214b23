"""Benchmarks of CvmImageProvider over the real dynamic provider server: `.venv/bin/python -m bench`."""
