"""Check-ups: feedback meetings whose feedback closes its loop, and the values pulse."""
