"""A loopback server that speaks the Hub's HTTP protocol, for testing uploads and downloads offline.

The real huggingface_hub and transformers clients talk to it unmodified; it answers
every call they make with the minimum each needs. Repositories live in memory: each commit is
a full snapshot {path: file} with a fresh 40-hex sha; "main" points at the newest commit, and any
commit sha resolves. Files arrive inline in the commit (upload mode "regular") or through the
classic git-LFS batch API and a PUT (upload mode "lfs", which the client takes only with
HF_HUB_DISABLE_XET=1). Tree entries carry the git blob sha1 as `oid` and, for LFS files, the sha256,
as the Hub does, so `HfApi.verify_repo_checksums` works against it.

References: huggingface_hub 2.4 `_commit_api.py` (preupload, NDJSON commit payload), `lfs.py`
(batch + basic transfer), `file_download.py` (HEAD metadata headers), `utils/_http.py`
(X-Error-Code -> exception), `hf_api.py` (RepoFile, ModelInfo fields); git-lfs docs/api/batch.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

UploadMode = Literal["regular", "lfs"]
USER = "hf-ssl-tester"
DEFAULT_BRANCH = "main"
GITATTRIBUTES = (
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n"
)
LFS_SUFFIXES = (".safetensors", ".bin")
_REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob (what the Hub reports as a regular file's `oid`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass
class StoredFile:
    """A file as committed; its checksums are recorded at upload time, as the Hub's index does."""

    data: bytes
    lfs: bool
    sha256: str = ""
    oid: str = ""  # git's id of what the repository holds: the LFS pointer, or the bytes themselves

    def __post_init__(self) -> None:
        self.sha256 = self.sha256 or hashlib.sha256(self.data).hexdigest()
        stored = lfs_pointer(self.sha256, len(self.data)) if self.lfs else self.data
        self.oid = self.oid or git_blob_sha1(stored)


@dataclass
class Commit:
    sha: str
    message: str
    files: dict[str, StoredFile]


@dataclass
class Repo:
    commits: list[Commit] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        sha = self.refs.get(unquote(revision), revision)
        return next((c for c in self.commits if c.sha == sha), None)


class HubState:
    """Everything the server holds; tests reach in here to inspect or damage what was uploaded."""

    def __init__(self, upload_mode: UploadMode = "regular", token: str | None = None) -> None:
        self.upload_mode: UploadMode = upload_mode
        self.token = token  # when set, writes need "Authorization: Bearer <token>", as on the Hub
        self.repos: dict[str, Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path), for asserting which API was used
        self.cut_downloads: dict[str, int] = {}  # path -> bytes sent before the connection drops
        self.errors: list[str] = []  # exceptions raised by handlers; the fixture fails a test on any
        self.lock = threading.Lock()
        self._counter = 0

    def new_sha(self, repo_id: str, message: str) -> str:
        self._counter += 1
        return hashlib.sha1(f"{repo_id}\n{self._counter}\n{message}".encode()).hexdigest()

    def commit(self, repo_id: str, message: str, files: dict[str, StoredFile]) -> Commit:
        repo = self.repos[repo_id]
        commit = Commit(self.new_sha(repo_id, message), message, files)
        repo.commits.append(commit)
        repo.refs[DEFAULT_BRANCH] = commit.sha
        return commit

    def create_repo(self, repo_id: str) -> None:
        self.repos[repo_id] = Repo()
        self.commit(repo_id, "initial commit", {".gitattributes": StoredFile(GITATTRIBUTES, lfs=False)})

    def corrupt(self, repo_id: str, path: str, position: int = -1) -> None:
        """Flip one byte of a file in the newest commit; size and recorded checksums stay (bad storage)."""
        files = self.repos[repo_id].resolve(DEFAULT_BRANCH).files  # type: ignore[union-attr]
        stored = files[path]
        data = bytearray(stored.data)
        data[position] ^= 0xFF
        files[path] = StoredFile(bytes(data), stored.lfs, sha256=stored.sha256, oid=stored.oid)


class HubHandler(BaseHTTPRequestHandler):
    server: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    # ---- plumbing
    @property
    def state(self) -> HubState:
        return self.server.state

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, head: bool = False
    ) -> None:
        self.send_response(status)
        headers = {"Content-Type": "application/json", **(headers or {})}
        headers.setdefault("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _error(self, status: int, code: str, message: str, head: bool = False) -> None:
        headers = {"X-Error-Code": code, "X-Error-Message": message}
        self._send(status, json.dumps({"error": message}).encode(), headers, head=head)

    def _route(self, method: str) -> None:
        path = unquote(urlsplit(self.path).path)
        with self.state.lock:
            self.state.requests.append((method, path))
        for pattern, verb, handler in ROUTES:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                if handler in WRITES and not self._authorized():
                    self._body()
                    self._error(HTTPStatus.UNAUTHORIZED, "Unauthorized", "a write token is required")
                    return
                with self.state.lock:
                    try:
                        handler(self, **{k: v for k, v in match.groupdict().items() if v is not None})
                    except Exception as error:  # a server bug: answer 500 and let the fixture fail the test
                        self.state.errors.append(f"{method} {path}: {error!r}")
                        self._error(
                            HTTPStatus.INTERNAL_SERVER_ERROR, "ServerBug", repr(error), method == "HEAD"
                        )
                return
        self._error(HTTPStatus.NOT_FOUND, "NotFound", f"no route for {method} {path}", head=method == "HEAD")

    def do_GET(self) -> None:
        self._route("GET")

    def do_HEAD(self) -> None:
        self._route("HEAD")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def _authorized(self) -> bool:
        return self.state.token is None or self.headers.get("Authorization") == f"Bearer {self.state.token}"

    # ---- lookups shared by the endpoints
    def _commit_or_error(self, repo_id: str, revision: str, head: bool = False) -> Commit | None:
        if repo_id not in self.state.repos:
            self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", f"Repository {repo_id} not found", head)
            return None
        commit = self.state.repos[repo_id].resolve(revision)
        if commit is None:
            self._error(HTTPStatus.NOT_FOUND, "RevisionNotFound", f"Invalid rev id: {revision}", head)
        return commit

    def _base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- endpoints
    def whoami(self) -> None:
        token = {"displayName": "test token", "role": "write"}
        self._json(200, {"type": "user", "name": USER, "orgs": [], "auth": {"accessToken": token}})

    def create(self) -> None:
        payload = json.loads(self._body())
        repo_id = f"{payload.get('organization') or USER}/{payload['name']}"
        url = f"{self._base()}/{repo_id}"
        if repo_id in self.state.repos:
            self._json(HTTPStatus.CONFLICT, {"error": "You already created this model repo", "url": url})
            return
        self.state.create_repo(repo_id)
        self._json(200, {"url": url, "name": repo_id})

    def validate_yaml(self) -> None:
        self._body()
        self._json(200, {"errors": [], "warnings": []})

    def preupload(self, repo: str, revision: str) -> None:
        payload = json.loads(self._body())
        commit = self._commit_or_error(repo, revision)
        if commit is None:
            return
        answers = []
        for entry in payload["files"]:
            # The Hub sends binary files and the .gitattributes LFS patterns through LFS.
            binary = b"\0" in base64.b64decode(entry["sample"])
            lfs = self.state.upload_mode == "lfs" and (binary or entry["path"].endswith(LFS_SUFFIXES))
            existing = commit.files.get(entry["path"])
            remote_oid = None
            if existing is not None:  # the client compares: sha256 for LFS files, git sha1 otherwise
                remote_oid = existing.sha256 if existing.lfs else existing.oid
            answers.append(
                {
                    "path": entry["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": remote_oid,
                }
            )
        self._json(200, {"files": answers, "commitOid": commit.sha})

    def commit(self, repo: str, revision: str) -> None:
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        parent = self._commit_or_error(repo, revision)
        if parent is None:
            return
        files = dict(parent.files)
        header: dict[str, Any] = {}
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "header":
                header = value
            elif key == "file":
                files[value["path"]] = StoredFile(base64.b64decode(value["content"]), lfs=False)
            elif key == "lfsFile":
                if value["oid"] not in self.state.lfs_objects:
                    self._error(HTTPStatus.BAD_REQUEST, "LfsObjectMissing", f"{value['path']}: not uploaded")
                    return
                files[value["path"]] = StoredFile(self.state.lfs_objects[value["oid"]], lfs=True)
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                files = {p: f for p, f in files.items() if not p.startswith(prefix)}
            else:
                self._error(HTTPStatus.BAD_REQUEST, "BadRequest", f"unknown commit line {key!r}")
                return
        new = self.state.commit(repo, header.get("summary", ""), files)
        url = f"{self._base()}/{repo}/commit/{new.sha}"
        self._json(200, {"commitOid": new.sha, "commitUrl": url, "pullRequestUrl": None})

    def lfs_batch(self, repo: str) -> None:
        payload = json.loads(self._body())
        if repo not in self.state.repos:
            self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", f"Repository {repo} not found")
            return
        objects = []
        for obj in payload["objects"]:
            answer: dict[str, Any] = {"oid": obj["oid"], "size": obj["size"]}
            if obj["oid"] not in self.state.lfs_objects:  # no actions = already stored
                href = f"{self._base()}/lfs-upload/{obj['oid']}"
                answer["actions"] = {"upload": {"href": href, "header": {}}}
            objects.append(answer)
        headers = {"Content-Type": "application/vnd.git-lfs+json"}
        self._json(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}, headers)

    def lfs_put(self, oid: str) -> None:
        data = self._body()
        if hashlib.sha256(data).hexdigest() != oid:
            self._error(HTTPStatus.BAD_REQUEST, "BadRequest", f"sha256 of the body is not {oid}")
            return
        self.state.lfs_objects[oid] = data
        self._send(200)

    def model_info(self, repo: str, revision: str = DEFAULT_BRANCH) -> None:
        commit = self._commit_or_error(repo, revision)
        if commit is None:
            return
        siblings = [{"rfilename": path} for path in sorted(commit.files)]
        info = {"_id": repo, "id": repo, "modelId": repo, "sha": commit.sha, "private": False}
        self._json(200, {**info, "siblings": siblings, "tags": [], "downloads": 0, "likes": 0})

    def tree(self, repo: str, revision: str, path: str | None = None) -> None:
        path = path or ""
        commit = self._commit_or_error(repo, revision)
        if commit is None:
            return
        recursive = "recursive=true" in urlsplit(self.path).query.lower()
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        entries: dict[str, dict[str, Any]] = {}
        for name, stored in sorted(commit.files.items()):
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix) :].split("/")
            for depth in range(1, len(parts)):  # the folders on the way
                folder = prefix + "/".join(parts[:depth])
                if depth == 1 or recursive:
                    entries.setdefault(
                        folder, {"type": "directory", "oid": "0" * 40, "size": 0, "path": folder}
                    )
            if len(parts) > 1 and not recursive:
                continue
            entry: dict[str, Any] = {
                "type": "file",
                "oid": stored.oid,
                "size": len(stored.data),
                "path": name,
            }
            if stored.lfs:
                pointer_size = len(lfs_pointer(stored.sha256, len(stored.data)))
                entry["lfs"] = {"oid": stored.sha256, "size": len(stored.data), "pointerSize": pointer_size}
            entries[name] = entry
        if prefix and not entries:
            self._error(HTTPStatus.NOT_FOUND, "EntryNotFound", f"{path} does not exist at {revision}")
            return
        self._json(200, list(entries.values()))

    def resolve(self, repo: str, revision: str, path: str) -> None:
        head = self.command == "HEAD"
        commit = self._commit_or_error(repo, revision, head)
        if commit is None:
            return
        stored = commit.files.get(path)
        if stored is None:
            headers = {"X-Repo-Commit": commit.sha}
            message = f"{path} does not exist at {revision}"
            self._send(
                404, json.dumps({"error": message}).encode(),
                {"X-Error-Code": "EntryNotFound", "X-Error-Message": message, **headers}, head=head,
            )  # fmt: skip
            return
        headers = {"X-Repo-Commit": commit.sha, "Accept-Ranges": "bytes"}
        headers["Content-Type"] = "application/octet-stream"
        if stored.lfs:
            headers["ETag"] = f'"{stored.oid}"'
            headers["X-Linked-Etag"] = f'"{stored.sha256}"'
            headers["X-Linked-Size"] = str(len(stored.data))
        else:
            headers["ETag"] = f'"{stored.oid}"'
        data, status = stored.data, 200
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        start = int(wanted.group(1)) if wanted else 0
        if wanted:
            start = int(wanted.group(1))
            end = int(wanted.group(2)) if wanted.group(2) else len(data) - 1
            if start >= len(data):
                self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", headers, head=head)
                return
            end = min(end, len(data) - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data, status = data[start : end + 1], HTTPStatus.PARTIAL_CONTENT
        cut = self.state.cut_downloads.get(path)
        if cut is not None and not head:
            # A connection that always drops at byte `cut` of the file, resumed requests included:
            # the headers promise the whole range, the body stops short.
            sent = data[: max(0, cut - start)]
            self._send(status, sent, {**headers, "Content-Length": str(len(data))}, head=False)
            self.close_connection = True
            return
        self._send(status, data, headers, head=head)


ROUTES: list[tuple[str, str, Any]] = [
    (r"/api/whoami-v2", "GET", HubHandler.whoami),
    (r"/api/repos/create", "POST", HubHandler.create),
    (r"/api/validate-yaml", "POST", HubHandler.validate_yaml),
    (rf"/api/models/{_REPO}/preupload/(?P<revision>[^/]+)", "POST", HubHandler.preupload),
    (rf"/api/models/{_REPO}/commit/(?P<revision>[^/]+)", "POST", HubHandler.commit),
    (rf"/{_REPO}\.git/info/lfs/objects/batch", "POST", HubHandler.lfs_batch),
    (r"/lfs-upload/(?P<oid>[0-9a-f]{64})", "PUT", HubHandler.lfs_put),
    (rf"/api/models/{_REPO}", "GET", HubHandler.model_info),
    (rf"/api/models/{_REPO}/revision/(?P<revision>[^/]+)", "GET", HubHandler.model_info),
    (rf"/api/models/{_REPO}/tree/(?P<revision>[^/]+)(?:/(?P<path>.*))?", "GET", HubHandler.tree),
    (rf"/{_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)", "GET", HubHandler.resolve),
    (rf"/{_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)", "HEAD", HubHandler.resolve),
]


WRITES = {HubHandler.create, HubHandler.preupload, HubHandler.commit, HubHandler.lfs_batch}


class HubServer(ThreadingHTTPServer):
    """`with HubServer() as hub:` serves on 127.0.0.1 at a free port; `hub.endpoint` is its base URL."""

    daemon_threads = True

    def __init__(self, upload_mode: UploadMode = "regular", token: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.state = HubState(upload_mode, token)
        self._thread = threading.Thread(target=self.serve_forever, name="hub-server", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()
