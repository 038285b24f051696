"""The thread in each process that sends queued email off the request path."""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

from course.extensions import db

logger = logging.getLogger("course.mail")

#: The longest the sender thread sleeps while a retry is pending.
POLL_SECONDS = 30.0


class MailSender:
    """One thread per process that drains the outbox while it holds messages.

    It starts when a message is queued (or on the process's first request if messages
    wait), sleeps while a retry is pending, and ends once the outbox is empty.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._reset()

    def _reset(self) -> None:
        # A forked worker inherits the parent's objects but not its thread.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Set while nothing queued is due to be sent: no thread, or one asleep until a retry.
        self._idle = threading.Event()
        self._idle.set()

    def wake(self) -> None:
        """Have the thread look at the outbox now, starting it if need be."""
        if self._pid != os.getpid():
            self._reset()
        with self._lock:
            if self._stopping:
                return
            self._idle.clear()
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="coursemail-sender", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish its current message and end; wait for it."""
        with self._lock:
            self._stopping = True
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Wait until what is due has been sent (the thread ended, or sleeps until a retry).

        Returns False when ``timeout`` ran out first. The thread writes to the database as
        it sends: a test waits here so that its next request does not meet those writes.
        """
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self._wake.clear()
            pause = self._deliver()
            with self._lock:
                if self._stopping or (pause is None and not self._wake.is_set()):
                    self._thread = None
                    self._idle.set()
                    return
                if not self._wake.is_set():  # else woken meanwhile: deliver again first
                    self._idle.set()
            self._wake.wait(POLL_SECONDS if pause is None else min(pause, POLL_SECONDS))

    def _deliver(self) -> float | None:
        with self.app.app_context():
            try:
                from course.mail import deliver_due  # course.mail starts this thread

                return deliver_due()
            except Exception:
                # A database that is busy or restarting must not leave messages behind
                # until the next one is queued: try again after the usual pause.
                logger.exception("The mail sender met an error; it tries again in %d s",
                                 POLL_SECONDS)
                return POLL_SECONDS
            finally:
                db.session.remove()


def sender_for(app: Flask) -> MailSender:
    """Return the app's mail sender, made on first use."""
    sender = app.extensions.get("course_mail_sender")
    if sender is None:
        sender = app.extensions.setdefault("course_mail_sender", MailSender(app))
    return sender
