"""Benchmarks. Each prints `name value floor ratio`, the floor measured in the same run."""
