"""What leaves the store for people and other tools: a self-contained HTML report, JSON and CSV exports."""

from storyline.report.export import export_csv, export_json
from storyline.report.html import write_report

__all__ = ["export_csv", "export_json", "write_report"]
