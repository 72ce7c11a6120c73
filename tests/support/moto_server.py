"""A real S3 API on loopback: moto's server mode, one per test session, on a free port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class MotoS3:
    endpoint: str  # host:port, as an Argo `s3.endpoint`
    url: str  # http://host:port
    access_key: str = "AKIAWFEXECTESTKEY01"
    secret_key: str = "wfexec-test-secret-DO-NOT-LEAK-0123456789"
    region: str = "us-east-1"

    def client(self):  # noqa: ANN201 - a boto3 S3 client for test set-up
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name=self.region,
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """Start moto's threaded server on 127.0.0.1:<free port>; stop it after the session."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield MotoS3(endpoint=f"127.0.0.1:{port}", url=f"http://127.0.0.1:{port}")
    finally:
        server.stop()
