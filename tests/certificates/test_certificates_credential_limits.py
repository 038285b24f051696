"""Untrusted credentials: oversized proofs, files and nesting are refused before the work."""

from __future__ import annotations

import json

import pytest
from certificates_testkit import FULL

from certificates import (
    Issuer,
    generate_signing_key,
    issue_credential,
    public_key_pem,
    verify_credential,
)
from certificates.credential_file import (
    MAX_CREDENTIAL_BYTES,
    MAX_JSON_DEPTH,
    CredentialFileError,
    read_credential,
)
from certificates.multibase import b58decode as _b58decode
from certificates.multibase import b58encode as _b58encode


@pytest.fixture(scope="module")
def key() -> bytes:
    return generate_signing_key()


@pytest.fixture(scope="module")
def credential(key: bytes) -> dict:
    issuer = Issuer(id="did:web:ce.example.org", name="Provider", url="https://ce.example.org")
    return issue_credential(FULL, issuer=issuer, private_pem=key)


def test_a_proof_value_longer_than_a_signature_is_refused_as_such(credential, key) -> None:
    # The penetration test's value was "z" + "2" * 600_000: decoding it took 30 s.
    jcs, rdfc = credential["proof"]
    forged = {**credential, "proof": [{**jcs, "proofValue": "z" + "2" * 20_000}, rdfc]}
    check = verify_credential(forged, public_key_pem(key))
    assert not check.valid
    assert check.reason == "proofValue is not the base58btc multibase of an Ed25519 signature"


def test_the_base58_decoder_refuses_text_longer_than_its_bound_before_decoding() -> None:
    for size in (0, 1, 33, 34, 64):
        for data in (bytes(size), b"\xff" * size, b"\0\0" + b"\x7f" * max(size - 2, 0)):
            data = data[:size]
            assert _b58decode(_b58encode(data), size) == data
    with pytest.raises(ValueError, match="longer than base58 of 64 bytes"):
        _b58decode("2" * 600_000, 64)
    with pytest.raises(ValueError, match="longer than base58 of 64 bytes"):
        _b58decode("z" * 88, 64)  # the right length, but a number too large for 64 bytes


def test_a_credential_file_reads_within_the_limits(credential) -> None:
    raw = json.dumps(credential).encode()
    assert read_credential(raw) == credential
    assert len(raw) < MAX_CREDENTIAL_BYTES // 16


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests more than 32 levels"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nests more than 32 levels"),
        (b" " * (MAX_CREDENTIAL_BYTES + 1), "larger than a credential can be"),
        (b'{"proof": "' + b"2" * 600_000 + b'"}', "larger than a credential can be"),
        (b'{"a": 1' + b"2" * 10_000 + b"}", "not a credential in JSON form"),
        (b"[1, 2]", "not a credential in JSON form"),
        (b"\xff\xfe{", "not a credential in JSON form"),
        (b'{"name": "a spreadsheet export", "rows": [1, 2]}', "JSON, but not a credential"),
        (b'{"type": ["VerifiablePresentation"]}', "JSON, but not a credential"),
        # The certificate PDF, larger than a credential: pointed to the code box instead.
        (b"%PDF-1.4\n" + b"0" * (MAX_CREDENTIAL_BYTES + 1), "type the certificate code printed"),
    ],
)
def test_a_credential_file_over_a_limit_is_refused_with_the_reason(raw: bytes, message) -> None:
    with pytest.raises(CredentialFileError, match=message):
        read_credential(raw)


def test_brackets_inside_strings_are_not_nesting() -> None:
    deep_text = {"name": "[" * 1000 + "{" * 1000, "escaped": '\\"[[[['}
    nested = {"a": {"b": {"c": [1, [2, [3]]]}}}
    credential = {**deep_text, **nested, "type": ["VerifiableCredential"]}
    assert read_credential(json.dumps(credential).encode())["a"] == nested["a"]
    at_limit = b"[" * (MAX_JSON_DEPTH - 1) + b"{}" + b"]" * (MAX_JSON_DEPTH - 1)
    with pytest.raises(CredentialFileError, match="not a credential"):
        read_credential(at_limit)  # deep enough to be allowed; refused only as a list
