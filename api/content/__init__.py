"""Content admin: the YAML loader and the `flask content` commands."""
