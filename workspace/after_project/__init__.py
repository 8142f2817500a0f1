"""After the project: asking the partner, months later, whether the result lasted (capacity built)."""
