"""Zoryx: a Discord bot framework operated from the terminal."""

__version__ = "0.1.0"

__all__ = ["__version__"]
