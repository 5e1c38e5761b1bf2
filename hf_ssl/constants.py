"""Magic values shared by collators, heads and losses, each named once."""

IGNORE_INDEX = -100
"""Label value that every loss in hf_ssl (and torch's cross-entropy default) skips."""
