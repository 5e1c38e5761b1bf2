"""Hub-facing helpers: self-contained remote code and auto_map, model cards, checksum verification of downloads."""

from .integrity import ChecksumMismatchError, verify_repo_checksums
from .model_card import render_model_card, write_model_card
from .remote_code import (
    REMOTE_MODULE,
    auto_map_for,
    remote_code_files,
    write_family_tokenizer,
    write_remote_code,
)

__all__ = [
    "REMOTE_MODULE",
    "ChecksumMismatchError",
    "auto_map_for",
    "remote_code_files",
    "render_model_card",
    "verify_repo_checksums",
    "write_family_tokenizer",
    "write_model_card",
    "write_remote_code",
]
