"""Certificates: the PDF (render.py) and the signed Open Badges credential (badges.py), with their helpers."""
