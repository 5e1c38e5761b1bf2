"""Hub-facing helpers: remote-code shims and auto_map (push/pull helpers and model cards come next)."""

from .remote_code import REMOTE_MODULE, auto_map_for, write_remote_code

__all__ = ["REMOTE_MODULE", "auto_map_for", "write_remote_code"]
