"""MAPS: Multi-Agency Partnership Self-assessment."""
