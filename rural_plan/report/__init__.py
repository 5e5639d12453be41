"""Results folder: summary.json, provenance.json, sites/links GeoJSON, coverage.tif."""

from rural_plan.report.writer import check_output_dir, write_results

__all__ = ["check_output_dir", "write_results"]
