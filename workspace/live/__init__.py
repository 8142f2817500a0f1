"""Live updates: changes are published to Redis after commit and streamed to open pages as Server-Sent Events."""
