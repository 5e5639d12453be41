"""rural_plan benchmarks (run: python -m benchmarks)."""
