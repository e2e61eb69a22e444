"""A throwaway certificate authority for the simulated web's https (made at start-up, never saved).

The simulated web answers ``CONNECT host:443`` itself and speaks TLS inside the tunnel with a
certificate for ``host`` signed by this CA. The CA lives only as long as the server process: its
key never leaves memory, and only its certificate is published (for clients that verify, e.g.
``urllib`` with ``cafile=``). Scrapy's default TLS context does not
verify server certificates, so the crawler needs nothing.

Leaf certificates share one key and are issued on first use per host and cached: a generated web
(a resolver) may name thousands of hosts, and each then costs one ECDSA signature.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LocalCA"]

_VALIDITY = datetime.timedelta(days=7)
_SKEW = datetime.timedelta(hours=1)  # not-before in the past: clients with a slow clock accept


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    # The traditional (SEC1) form loads in half the time of PKCS#8: it counts with 1,000s of hosts.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if not host.isascii():  # certificates carry A-labels (RFC 5280 section 7.2)
        host = host.encode("idna").decode("ascii")
    return x509.DNSName(host)


class LocalCA:
    """A CA made now, issuing one server certificate per host name on demand."""

    def __init__(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        self._not_before, self._not_after = now - _SKEW, now + _VALIDITY
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "consentcrawl simweb"),
                x509.NameAttribute(NameOID.COMMON_NAME, "simweb throwaway CA"),
            ]
        )
        ca_public = self._ca_key.public_key()
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(ca_public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._not_before)
            .not_valid_after(self._not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
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
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_public), critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )
        self._aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public)
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._dir = tempfile.TemporaryDirectory(prefix="simweb-tls-")
        self._leaf_key_pem = _pem_key(self._leaf_key)
        self._contexts: dict[str, ssl.SSLContext] = {}

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate (PEM) that a verifying client must trust."""
        return self.ca_cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, host: str) -> x509.Certificate:
        """A server certificate for ``host`` (a DNS name or an IP literal)."""
        leaf_public = self._leaf_key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(self.ca_cert.subject)
            .public_key(leaf_public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._not_before)
            .not_valid_after(self._not_after)
            .add_extension(x509.SubjectAlternativeName([_san(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_public), critical=False)
            .add_extension(self._aki, critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )

    def server_context(self, host: str) -> ssl.SSLContext:
        """The server-side TLS context presenting ``host``'s certificate (built once per host)."""
        host = host.lower()
        ctx = self._contexts.get(host)
        if ctx is None:
            cert = self.issue(host)
            # ssl loads certificates from files only; the file name hides nothing secret.
            name = hashlib.sha256(host.encode()).hexdigest()[:32]
            path = Path(self._dir.name) / f"{name}.pem"
            path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + self._leaf_key_pem)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(path)
            path.unlink()  # loaded: the key need not stay on disk
            self._contexts[host] = ctx
        return ctx

    def close(self) -> None:
        """Remove the files holding the leaf key and certificates."""
        self._dir.cleanup()
        self._contexts.clear()
