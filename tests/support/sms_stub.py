"""A local stand-in for Twilio's Messages API that records what it receives.

Real HTTP on 127.0.0.1: tests see the exact method, path, headers and form
that the backend sent, and can make the next answers fail.
"""

import json
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

from tests.support.local_http import QuietHandler, serve, stop


@dataclass
class StubRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class SmsStub:
    """Answers like Twilio: 201 with a sid, or the configured failure."""

    requests: list[StubRequest] = field(default_factory=list)
    fail_status: int | None = None
    fail_code: int = 21211
    fail_message: str = "The 'To' number is not a valid phone number."
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None, "the stub is not running"
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, status: int = 400, *, code: int = 21211, message: str | None = None) -> None:
        self.fail_status, self.fail_code = status, code
        if message is not None:
            self.fail_message = message

    def succeed(self) -> None:
        self.fail_status = None

    @property
    def bodies(self) -> list[str]:
        return [request.form.get("Body", "") for request in self.requests]

    def start(self) -> "SmsStub":
        stub = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                stub.requests.append(StubRequest("POST", self.path, dict(self.headers), form))
                if stub.fail_status:
                    self._answer(
                        stub.fail_status,
                        {
                            "code": stub.fail_code,
                            "message": stub.fail_message,
                            "more_info": f"https://www.twilio.com/docs/errors/{stub.fail_code}",
                            "status": stub.fail_status,
                        },
                    )
                    return
                self._answer(
                    201,
                    {
                        "sid": "SM" + uuid.uuid4().hex,
                        "status": "queued",
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                    },
                )

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = serve(Handler)
        return self

    def stop(self) -> None:
        stop(self.server)
