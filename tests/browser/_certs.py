"""A throwaway certificate authority and one leaf for the HTTPS tests.

Chromium is told to accept certificates with exactly this leaf's public key
(``--ignore-certificate-errors-spki-list``) rather than to ignore certificate
errors altogether: any other certificate still fails, and the key exists only
for one test run.  (Trusting the CA would need NSS's ``certutil``.)
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ._serve import TlsFiles

__all__ = ["TestCertificates", "make_certificates"]


class TestCertificates:
    """Files for the server, and the leaf's SPKI pin for Chromium."""

    __test__ = False  # not a pytest test class

    def __init__(self, files: TlsFiles, ca_file: Path, spki_sha256: str) -> None:
        self.files = files
        self.ca_file = ca_file
        self.spki_sha256 = spki_sha256


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_certificates(directory: Path, hosts: Sequence[str]) -> TestCertificates:
    """A CA and a leaf for ``hosts`` (server auth, valid for a day)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("authgate test CA"))
        .issuer_name(_name("authgate test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    keyfile = directory / "leaf.key"
    keyfile.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    certfile = directory / "leaf-chain.pem"
    certfile.write_bytes(_pem(leaf) + _pem(ca))
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(_pem(ca))
    spki = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    return TestCertificates(TlsFiles(keyfile, certfile), ca_file, pin)
