"""Affirmations: the library, the daily suggestion, messages between partners, gratitude."""
