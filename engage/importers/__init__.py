"""Bringing in the comments a site already has: readers of other systems' export files.

Each reader streams its file (constant memory whatever its size) and yields one article at a
time with its comments; engage/importers/load.py writes them, idempotently.
"""
