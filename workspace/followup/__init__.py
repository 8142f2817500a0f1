"""Follow-up projects: continuing a project in a later course."""
