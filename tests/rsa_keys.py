"""RSA keys for tests: real 2048-bit keys, each made once per test process.

Making one costs about 70 ms of CPU, and the LTI tests made two a test (the tool's and
the platform's played by the tests), some more: a tenth of the LTI files' work. Within a
test every key handed out is a different one, as freshly made keys would be; the next
test gets the same keys again, in the same order, on its own new database.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

_made: list[rsa.RSAPrivateKey] = []
_handed_out = 0
_lock = threading.Lock()


def fresh_rsa_key(public_exponent: int = 65537, key_size: int = 2048) -> rsa.RSAPrivateKey:
    """Return an RSA key not yet handed out in this test (a new one of any other size)."""
    global _handed_out
    if (public_exponent, key_size) != (65537, 2048):
        return rsa.generate_private_key(public_exponent, key_size)
    with _lock:
        if _handed_out == len(_made):
            _made.append(rsa.generate_private_key(65537, 2048))
        _handed_out += 1
        return _made[_handed_out - 1]


def start_over() -> None:
    """Hand out the keys from the first again (a new test)."""
    global _handed_out
    with _lock:
        _handed_out = 0


def pool_the_tool_keys() -> None:
    """Make the tool's own LTI keys (``course.lti.keys``) come from ``fresh_rsa_key``."""
    from course.lti import keys

    def generate_private_key(public_exponent: int, key_size: int, *args: Any) -> Any:
        return fresh_rsa_key(public_exponent, key_size)

    keys.rsa = SimpleNamespace(generate_private_key=generate_private_key)  # type: ignore[assignment]
