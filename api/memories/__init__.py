"""Memories: the couple's shared "remember when", with photos, brought back on their days."""
