"""Reports: a computed table (result.py) rendered to CSV, XLSX, JSON and PDF (exports.py)."""
