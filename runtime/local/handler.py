"""The HTTP request handler: moto's (keeps S3 headers with underscores), without per-request logs.

Logging every request to stderr costs more than serving it under benchmark load.
"""

from __future__ import annotations

from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler


class QuietRequestHandler(MotoRequestHandler):
    # Keep-alive: boto3 reuses connections, which saves a TCP handshake per call.
    protocol_version = "HTTP/1.1"

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None
