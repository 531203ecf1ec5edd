"""junheng (均衡): county compulsory-education quality-balance data pipeline."""

__version__ = "0.1.0"
