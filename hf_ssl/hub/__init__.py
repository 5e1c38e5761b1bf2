"""Hub-facing helpers: remote-code shims and auto_map, checksum verification of downloads."""

from .integrity import ChecksumMismatchError, verify_repo_checksums
from .remote_code import REMOTE_MODULE, auto_map_for, write_remote_code

__all__ = [
    "REMOTE_MODULE",
    "ChecksumMismatchError",
    "auto_map_for",
    "verify_repo_checksums",
    "write_remote_code",
]
