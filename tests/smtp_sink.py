"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts.

The app sends mail from a background thread, so tests wait for messages to arrive
(``Inbox.wait_for``) rather than expecting them the moment a request returns. A test
can close the inbox's ``gate`` to make the server hang before it accepts a message,
like a slow mail server, and ``refuse`` answers (or ``refuse_sender``) to make it fail.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plain_text(message: EmailMessage) -> str:
    """The plain-text body of a message."""
    return message.get_body(preferencelist=("plain",)).get_content()


def link_path(message: EmailMessage, prefix: str) -> str:
    """The path of the first link in a message whose path starts with ``prefix``."""
    found = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S*)", plain_text(message))
    assert found, f"no {prefix} link in: {plain_text(message)}"
    return found.group(1)


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait until ``condition()`` holds, as for something the mail sender logs."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not so after {timeout} s"
        time.sleep(0.01)


class Inbox:
    """An aiosmtpd handler: keeps messages and their envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.refuse: list[str] = []  # answers given, in turn, instead of accepting
        self.refuse_sender = ""  # an answer to every MAIL FROM, instead of accepting it
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()  # set while a message waits at the closed gate
        self._arrived = threading.Condition()

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's name)
        self, server, session, envelope, address, mail_options
    ) -> str:
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        if not self.gate.is_set():
            self.waiting.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        if self.refuse:
            return self.refuse.pop(0)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """Wait until ``count`` messages have arrived in all; return every message."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.messages)} of {count} emails arrived in {timeout} s"
                self._arrived.wait(left)
            return list(self.messages)

    def next_to(
        self, address: str, after: int = 0, timeout: float = 15.0, subject: str = ""
    ) -> EmailMessage:
        """Wait for a message to ``address`` among those after the first ``after`` (with a
        subject that starts with ``subject``: others, such as a certificate's, may come first)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for index in range(after, len(self.messages)):
                    if address.lower() in (r.lower() for r in self.recipients[index]) and str(
                        self.messages[index]["Subject"]
                    ).startswith(subject):
                        return self.messages[index]
                left = deadline - time.monotonic()
                assert left > 0, f"no email to {address} arrived in {timeout} s"
                self._arrived.wait(left)

    def body(self, index: int = -1) -> str:
        """The plain-text body of a message that arrived."""
        return self.messages[index].get_body(preferencelist=("plain",)).get_content()


@contextmanager
def smtp_server(handler: Inbox) -> Iterator[int]:
    """Run an SMTP server on a free loopback port; yield the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        handler.gate.set()
        controller.stop()
