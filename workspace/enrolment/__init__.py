"""Enrolling a class: CSV import with a preview, the course join code, students who leave."""
