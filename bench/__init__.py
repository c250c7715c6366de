"""Benchmark harness: synthetic data, the SQL floor, load generation and the orchestrating run."""
