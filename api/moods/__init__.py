"""Moods and needs: a short emotional check-in the partner sees, with what would help."""
