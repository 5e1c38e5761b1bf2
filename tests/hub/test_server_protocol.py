"""The loopback server answers the Hub protocol as the clients expect: headers, Range, error codes.

These pin the parts the round-trip tests use only indirectly (resume by Range, LFS headers, 404s).
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url

from tests.hub.server import git_blob_sha1


def _request(url: str, method: str = "GET", headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def uploaded(hub):
    payload = bytes(range(256)) * 40  # binary: sent through LFS in the lfs mode
    HfApi().create_repo("org/protocol")
    HfApi().upload_file(path_or_fileobj=payload, path_in_repo="weights.bin", repo_id="org/protocol")
    HfApi().upload_file(path_or_fileobj=b'{"a": 1}', path_in_repo="sub/config.json", repo_id="org/protocol")
    return hub, payload


def test_head_reports_commit_etag_and_size_and_linked_headers_for_lfs_files(uploaded):
    hub, payload = uploaded
    metadata = get_hf_file_metadata(hf_hub_url("org/protocol", "weights.bin"))
    assert metadata.commit_hash == hub.state.repos["org/protocol"].refs["main"]
    assert metadata.size == len(payload)
    expected = hashlib.sha256(payload).hexdigest() if hub.upload_mode == "lfs" else git_blob_sha1(payload)
    assert metadata.etag == expected


def test_a_range_request_returns_exactly_the_asked_bytes(uploaded):
    hub, payload = uploaded
    status, headers, body = _request(
        f"{hub.endpoint}/org/protocol/resolve/main/weights.bin", headers={"Range": "bytes=100-199"}
    )
    assert status == 206 and body == payload[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(payload)}"


def test_missing_repo_revision_and_file_answer_404_with_the_hubs_error_codes(uploaded):
    hub, _ = uploaded
    for path, code in [
        ("/org/absent/resolve/main/weights.bin", "RepoNotFound"),
        (f"/org/protocol/resolve/{'0' * 40}/weights.bin", "RevisionNotFound"),
        ("/org/protocol/resolve/main/absent.bin", "EntryNotFound"),
    ]:
        status, headers, _ = _request(hub.endpoint + path, method="HEAD")
        assert (status, headers.get("X-Error-Code")) == (404, code), path


def test_every_commit_gets_a_new_sha_and_the_tree_lists_checksums_recursively(uploaded):
    hub, payload = uploaded
    commits = [c.sha for c in hub.state.repos["org/protocol"].commits]
    assert len(commits) == len(set(commits)) == 3  # initial .gitattributes + two uploads
    entries = {e.path: e for e in HfApi().list_repo_tree("org/protocol", recursive=True)}
    assert set(entries) == {".gitattributes", "weights.bin", "sub", "sub/config.json"}
    assert entries["sub/config.json"].blob_id == git_blob_sha1(b'{"a": 1}')
    if hub.upload_mode == "lfs":
        assert entries["weights.bin"].lfs.sha256 == hashlib.sha256(payload).hexdigest()
    else:
        assert entries["weights.bin"].lfs is None
    first = HfApi().list_repo_files("org/protocol", revision=commits[1])
    assert sorted(first) == [".gitattributes", "weights.bin"]  # a pinned revision shows its own files


def test_a_push_without_a_token_is_refused_and_leaves_no_repo(inline_hub, monkeypatch):
    from huggingface_hub.errors import HfHubHTTPError

    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HfHubHTTPError, match="401"):
        HfApi().create_repo("org/anonymous", token=False)
    assert "org/anonymous" not in inline_hub.state.repos
