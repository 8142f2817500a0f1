"""Reflections: students' journal entries prompted by the guiding values and the course's own prompts."""
