"""Tombstones: the client_ids of deleted rows, so a late replay of their create answers 404."""
