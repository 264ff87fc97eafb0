"""Certificate PDFs: rendering (render.py) and related helpers."""
