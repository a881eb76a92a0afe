"""MAPS: Multi-Agency Partnership Self-assessment."""

NAME = "MAPS"
FULL_NAME = "Multi-Agency Partnership Self-assessment"
