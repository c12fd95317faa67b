"""Plain data shared by every layer: storage fills it, the domain reads it, Discord renders it.

This package imports nothing from the project, so any layer may import it and it never cycles.
"""
