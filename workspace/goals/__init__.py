"""Goals (co-creation): goals both sides agree, with revisions, discussion and the root cause."""
