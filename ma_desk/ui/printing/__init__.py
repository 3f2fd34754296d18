"""Printing from the app: PDF preview with Print/Save, handouts, labels, end of day."""
