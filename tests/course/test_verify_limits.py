"""The public credential check refuses oversized and deeply nested uploads clearly."""

from __future__ import annotations

import io
import json

from flask import Flask
from flask.testing import FlaskClient

from certificates import keys, proofs
from course.credentials import services as credentials


def text(response) -> str:
    return response.get_data(as_text=True)


def _issuer_proof(app: Flask, proof_value: str) -> dict:
    """A proof naming this site's key, as anyone can copy it from a credential it issued."""
    with app.app_context():
        name = keys.multikey_of(credentials.public_pems()[0])
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": proofs.CRYPTOSUITE,
        "proofPurpose": proofs.PROOF_PURPOSE,
        "verificationMethod": f"did:key:{name}#{name}",
        "proofValue": proof_value,
    }


def _upload(client: FlaskClient, raw: bytes):
    # Encoded here: the test client spools a body over 500 KB to a file it never closes.
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="credential"; '
        f'filename="credential.json"\r\nContent-Type: application/json\r\n\r\n'
    ).encode() + raw + f"\r\n--{boundary}--\r\n".encode()
    return client.post(
        "/verify/credential",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_the_penetration_tests_proof_value_is_refused_without_decoding(
    app: Flask, client: FlaskClient
) -> None:
    document = {"type": ["VerifiableCredential"], "proof": _issuer_proof(app, "z" + "2" * 600_000)}
    response = _upload(client, json.dumps(document).encode())
    assert response.status_code == 400
    assert "That file is larger than a credential can be (the limit is 256 KB)." in text(response)
    # Within the size limit, a proof value longer than any signature is named as such.
    document["proof"] = _issuer_proof(app, "z" + "2" * 100_000)
    response = _upload(client, json.dumps(document).encode())
    assert response.status_code == 200
    assert "not the base58btc multibase of an Ed25519 signature" in text(response)


def test_deeply_nested_json_is_a_clear_400_not_a_server_error(client: FlaskClient) -> None:
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000):
        response = _upload(client, raw)
        assert response.status_code == 400
        assert "nests more than 32 levels deep, which no credential does" in text(response)


def test_the_cli_check_refuses_the_same_files_with_their_name(runner, tmp_path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    result = runner.invoke(args=["certs", "verify", str(deep)])
    assert result.exit_code == 1
    assert f"{deep}: That file nests more than 32 levels deep" in result.output
