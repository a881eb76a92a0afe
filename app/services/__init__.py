"""Persistence functions, one module per aggregate."""
