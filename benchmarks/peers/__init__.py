"""Peers that benchmarks and agreement tests compare rural_plan against."""
