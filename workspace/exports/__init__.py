"""Exports: the project as a JSON document and CSV tables, and each person's calendar feed."""
