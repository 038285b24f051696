"""Bitstring Status List: the bits, their encoding, and the list credential."""

from __future__ import annotations

import base64
import gzip

import pytest

from certificates import LIST_SIZE, status_entry, status_list_credential
from certificates.status_list import decode_list, encode_list, is_set

URL = "https://ce.example.org/credentials/status/1"


def test_an_empty_list_is_sixteen_kibibytes_of_zero_bits() -> None:
    bits = decode_list(encode_list([]))
    assert len(bits) * 8 == LIST_SIZE == 131_072
    assert not any(bits)


def test_a_list_made_by_another_implementation_decodes() -> None:
    # The empty list as the W3C specification's example encodes it (its gzip header
    # differs from Python's: any conforming decoder must still read it).
    example = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    bits = decode_list(example)
    assert len(bits) == 16_384 and not any(bits)


def test_index_zero_is_the_left_most_bit_of_the_first_byte() -> None:
    bits = decode_list(encode_list([0, 9, LIST_SIZE - 1]))
    assert bits[0] == 0b1000_0000
    assert bits[1] == 0b0100_0000
    assert bits[-1] == 0b0000_0001
    assert [i for i in range(LIST_SIZE) if is_set(bits, i)] == [0, 9, LIST_SIZE - 1]


def test_encoding_is_multibase_base64url_of_gzip_without_padding() -> None:
    encoded = encode_list([5])
    assert encoded.startswith("u") and "=" not in encoded
    assert "+" not in encoded and "/" not in encoded
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert gzip.decompress(raw)[0] == 0b0000_0100
    assert encode_list([5]) == encoded  # the same bits always encode the same way


@pytest.mark.parametrize("index", [-1, LIST_SIZE])
def test_an_index_outside_the_list_is_refused(index: int) -> None:
    with pytest.raises(ValueError):
        encode_list([index])
    with pytest.raises(ValueError):
        is_set(bytes(LIST_SIZE // 8), index)


def test_malformed_lists_raise_value_error() -> None:
    with pytest.raises(ValueError):
        decode_list("zNotBase64url")
    with pytest.raises((ValueError, OSError)):
        decode_list("u" + base64.urlsafe_b64encode(b"not gzip").decode())


def test_entry_and_list_credential_follow_the_specification() -> None:
    entry = status_entry(URL, 77)
    assert entry == {
        "id": f"{URL}#77",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "77",  # a string, as the specification requires
        "statusListCredential": URL,
    }
    document = status_list_credential(URL, "did:web:ce.example.org", "2026-12-01T00:00:00Z", [77])
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["issuer"] == "did:web:ce.example.org"
    subject = document["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert is_set(decode_list(subject["encodedList"]), 77)
    assert not is_set(decode_list(subject["encodedList"]), 76)
