"""Data protection above the lake: PII tags and their scan, anonymised copies, and the
data lifecycle (retention rules, their runs and schedule). See README.md."""
