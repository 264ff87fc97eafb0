"""Reports for managers and auditors: the team matrix and its exports, the evidence report (PDF and CSV)."""
