"""A small S3 client for the launcher, standard library only (SigV4, path-style requests).

The launcher runs inside the step on whatever Python is there, so it cannot count on boto3:
put, get and list are all it needs to keep a KFP artifact in the run's S3 artifact repository.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

UNSIGNED_SAFE = "-_.~"


class S3Error(Exception):
    pass


class S3:
    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, *,
                 region: str = "us-east-1", insecure: bool = False) -> None:
        scheme = "http" if insecure else "https"
        self.base = endpoint if "://" in endpoint else f"{scheme}://{endpoint}"
        self.host = urllib.parse.urlsplit(self.base).netloc
        self.bucket, self.access_key, self.secret_key, self.region = bucket, access_key, secret_key, region

    def _sign(self, method: str, path: str, query: str, payload_hash: str, now: dt.datetime) -> dict[str, str]:
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        headers = {"host": self.host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join([method, path, query, "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
                               signed, payload_hash])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.secret_key).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                                    f"SignedHeaders={signed}, Signature={signature}")
        return headers

    def _request(self, method: str, key: str, body: bytes = b"", params: dict[str, str] | None = None
                 ) -> tuple[int, bytes]:
        path = "/" + urllib.parse.quote(self.bucket, safe=UNSIGNED_SAFE)
        if key:
            path += "/" + urllib.parse.quote(key, safe=UNSIGNED_SAFE + "/")
        query = "&".join(f"{urllib.parse.quote(k, safe=UNSIGNED_SAFE)}={urllib.parse.quote(v, safe=UNSIGNED_SAFE)}"
                         for k, v in sorted((params or {}).items()))
        headers = self._sign(method, path, query, hashlib.sha256(body).hexdigest(), dt.datetime.now(dt.UTC))
        headers.pop("host")
        if body:  # urllib would send a form's content type, and a server may then read the body as a form
            headers["Content-Type"] = "application/octet-stream"
        req = urllib.request.Request(self.base + path + (f"?{query}" if query else ""), data=body or None,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except urllib.error.URLError as exc:
            raise S3Error(f"cannot reach {self.base}: {exc.reason}") from None

    def put(self, key: str, data: bytes) -> None:
        status, body = self._request("PUT", key, data)
        if status != 200:
            raise S3Error(f"PUT s3://{self.bucket}/{key}: HTTP {status} {body[:200]!r}")

    def get(self, key: str) -> bytes | None:
        status, body = self._request("GET", key)
        if status == 404:
            return None
        if status != 200:
            raise S3Error(f"GET s3://{self.bucket}/{key}: HTTP {status} {body[:200]!r}")
        return body

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        token = ""
        while True:
            params = {"list-type": "2", "prefix": prefix}
            if token:
                params["continuation-token"] = token
            status, body = self._request("GET", "", params=params)
            if status != 200:
                raise S3Error(f"LIST s3://{self.bucket}/{prefix}: HTTP {status} {body[:200]!r}")
            root = ET.fromstring(body)
            ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            keys += [e.text or "" for e in root.iter(f"{ns}Key")]
            token = (root.findtext(f"{ns}NextContinuationToken") or "")
            if not token:
                return keys
