"""A local SMTP server (aiosmtpd) that records every message it accepts.

Real SMTP on 127.0.0.1: tests read the exact headers and parts Django sent,
make the next answers fail, or hold a recipient to catch a sender mid-send.
"""

import asyncio
import email
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return body.get_content()


@dataclass
class SmtpServer:
    messages: list[Received] = field(default_factory=list)
    fail_reply: str | None = None
    fail_count: int = 1_000_000  # how many recipients get fail_reply before it stops
    hold_address: str | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    controller: Controller | None = None
    port: int = 0

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def start(self) -> "SmtpServer":
        server = self

        class Handler:
            async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):  # noqa: N802
                if server.hold_address == address:
                    server.held.set()
                    await asyncio.get_running_loop().run_in_executor(None, server.release.wait)
                if server.fail_reply and server.fail_count > 0:
                    server.fail_count -= 1
                    return server.fail_reply
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp, session, envelope):  # noqa: N802
                message = email.message_from_bytes(envelope.content, policy=default)
                server.messages.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), message)
                )
                return "250 Message accepted for delivery"

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.controller:
            self.controller.stop()
