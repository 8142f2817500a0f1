"""Peer feedback inside the team: students rate each teammate; teachers read a summary with flags."""
