"""Results folder: summary.json, provenance.json, sites/links GeoJSON, coverage.tif,
tables (CSV) and report.html."""

from rural_plan.io.results import check_output_dir
from rural_plan.report.html import report_html, write_report_html
from rural_plan.report.writer import write_results

__all__ = ["check_output_dir", "report_html", "write_report_html", "write_results"]
