"""An S3-compatible repository (AWS, MinIO, Ceph …) through boto3.

Configured like Argo's `s3:` block: `endpoint` (host:port, or a URL), `bucket`, `region`,
`insecure` (plain http), `keyFormat`, and credentials from `accessKeySecret` /
`secretKeySecret` (read through the secret resolver, by default from
`$WFEXEC_HOME/secrets/<name>/<key>`) or else from `AWS_ACCESS_KEY_ID` /
`AWS_SECRET_ACCESS_KEY`. Credentials go to the boto3 client and nowhere else: not kept on the
object, not in reprs, and scrubbed from any error text that might echo them.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from pathlib import Path
from typing import Any

from wfexec.artifacts.keys import DEFAULT_KEY_FORMAT, check_key
from wfexec.artifacts.location import ArtifactLocation
from wfexec.artifacts.repository import Repository
from wfexec.artifacts.secrets import SecretResolver, file_secret_resolver, secret_ref
from wfexec.errors import ArtifactError, UnsafeArchiveError
from wfexec.extras import require


class S3Repository(Repository):
    driver = "s3"

    def __init__(self, *, bucket: str, endpoint: str | None = None, region: str | None = None,
                 insecure: bool = False, access_key: str | None = None, secret_key: str | None = None,
                 session_token: str | None = None, key_format: str = DEFAULT_KEY_FORMAT) -> None:
        boto3 = require("boto3", "an S3 artifact repository")
        from botocore.config import Config

        if not bucket:
            raise ArtifactError("s3 repository: bucket is required")
        self.bucket, self.endpoint, self.region, self.insecure = bucket, endpoint, region, insecure
        self.key_format = key_format
        self._scrub = [_Hidden(s) for s in (access_key, secret_key, session_token) if s]
        url = None
        if endpoint:
            url = endpoint if "://" in endpoint else ("http://" if insecure else "https://") + endpoint
        cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3},
                     signature_version="s3v4", connect_timeout=10, read_timeout=60)
        self._client = boto3.session.Session().client(
            "s3", endpoint_url=url, region_name=region or "us-east-1", config=cfg,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=session_token)

    @classmethod
    def from_config(cls, block: dict[str, Any], *, resolve_secret: SecretResolver | None = None) -> S3Repository:
        """Build from an Argo `s3:` block (repository config or an input artifact's)."""
        resolve = resolve_secret or file_secret_resolver()
        access = secret_ref(block, "accessKeySecret")
        secret = secret_ref(block, "secretKeySecret")
        token = secret_ref(block, "sessionTokenSecret")
        if access and secret:
            creds = (resolve(*access), resolve(*secret), resolve(*token) if token else None)
        elif block.get("useSDKCreds"):
            creds = (None, None, None)  # boto3's own chain (profile, instance role, …)
        else:
            creds = (os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY"),
                     os.environ.get("AWS_SESSION_TOKEN"))
        return cls(bucket=str(block.get("bucket") or ""), endpoint=block.get("endpoint"),
                   region=block.get("region"), insecure=bool(block.get("insecure", False)),
                   access_key=creds[0], secret_key=creds[1], session_token=creds[2],
                   key_format=block.get("keyFormat") or DEFAULT_KEY_FORMAT)

    def __repr__(self) -> str:
        return f"S3Repository(endpoint={self.endpoint!r}, bucket={self.bucket!r}, region={self.region!r})"

    def location(self, key: str, name: str = "") -> ArtifactLocation:
        extra: dict[str, Any] = {"bucket": self.bucket}
        if self.endpoint:
            extra["endpoint"] = self.endpoint
        if self.insecure:
            extra["insecure"] = True
        if self.region:
            extra["region"] = self.region
        return ArtifactLocation("s3", check_key(key), name, extra=extra)

    # --- operations -----------------------------------------------------------------------

    def put(self, local_path: str | Path, key: str, *, name: str = "") -> ArtifactLocation:
        src, key = Path(local_path), check_key(key)
        if not src.exists():
            raise ArtifactError(f"artifact {name or key!r}: {src} does not exist")
        try:
            if src.is_dir():
                for root, _dirs, files in os.walk(src):
                    for f in sorted(files):
                        p = Path(root) / f
                        rel = p.relative_to(src).as_posix()
                        self._client.upload_file(str(p), self.bucket, f"{key}/{rel}")
            else:
                self._client.upload_file(str(src), self.bucket, key)
        except Exception as e:  # noqa: BLE001 - every boto failure becomes one clear message
            raise self._error("upload", key, name, e) from None
        return self.location(key, name)

    def get(self, location: ArtifactLocation, local_path: str | Path) -> Path:
        key, dest = check_key(location.key), Path(local_path)
        name = location.name
        try:
            if self._is_object(key):
                dest.parent.mkdir(parents=True, exist_ok=True)
                self._download(key, dest)
                return dest
            children = self._list(key + "/")
        except ArtifactError:
            raise
        except Exception as e:  # noqa: BLE001
            raise self._error("download", key, name, e) from None
        if not children:
            raise ArtifactError(f"artifact {name or key!r}: key {key!r} not found in bucket {self.bucket!r}")
        planned: list[tuple[str, Path]] = []
        for child in children:  # judge every key before writing anything
            rel = child[len(key) + 1:]
            parts = rel.split("/")
            if not rel or ".." in parts or rel.startswith("/"):
                raise UnsafeArchiveError(f"artifact {name or key!r}: refusing S3 object {child!r}: "
                                         "its key would land outside the destination")
            planned.append((child, dest.joinpath(*[p for p in parts if p not in ("", ".")])))
        for child, target in planned:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._download(child, target)
            except Exception as e:  # noqa: BLE001
                raise self._error("download", child, name, e) from None
        return dest

    def exists(self, location: ArtifactLocation) -> bool:
        key = check_key(location.key)
        try:
            return self._is_object(key) or bool(self._list(key + "/", limit=1))
        except Exception as e:  # noqa: BLE001
            raise self._error("lookup", key, location.name, e) from None

    def delete(self, location: ArtifactLocation) -> None:
        key = check_key(location.key)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
            for child in self._list(key + "/"):
                self._client.delete_object(Bucket=self.bucket, Key=child)
        except Exception as e:  # noqa: BLE001
            raise self._error("delete", key, location.name, e) from None

    # --- helpers --------------------------------------------------------------------------

    def _download(self, key: str, dest: Path) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
        os.close(fd)
        try:
            self._client.download_file(self.bucket, key, tmp)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _is_object(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as e:
            if str(e.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def _list(self, prefix: str, limit: int | None = None) -> list[str]:
        keys: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
            if limit and len(keys) >= limit:
                break
        return keys

    def _error(self, op: str, key: str, name: str, exc: BaseException) -> ArtifactError:
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            detail = f"{err.get('Code', '?')}: {err.get('Message', '')}".rstrip(": ")
        elif isinstance(exc, NoCredentialsError):
            detail = ("no credentials: set accessKeySecret/secretKeySecret in the repository config "
                      "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
        elif isinstance(exc, EndpointConnectionError):
            detail = f"cannot connect to {self.endpoint or 'the S3 endpoint'}"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        for secret in self._scrub:
            detail = detail.replace(secret.value, "***")
        where = posixpath.join(f"s3://{self.bucket}", key)
        return ArtifactError(f"artifact {name or key!r}: S3 {op} of {where} failed: {detail}")


class _Hidden:
    """A credential kept only to scrub it from error text; it never prints itself."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__
