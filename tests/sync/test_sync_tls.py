"""TLS to the clinic server, for real: a throwaway certificate authority signs the test server's
certificate for ``clinic-server.test``; the server runs with ``ssl=on`` on 127.0.0.1 and the
PCs reach it by that name (``hostaddr`` keeps the traffic on this machine, libpq checks the
certificate against the name). verify-full with the clinic's CA syncs; a certificate from
another CA, or for another name, is refused with one sentence; a host on the network without
verify-full is refused before anything is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clinicrecords.common.errors import BadInput, ServerRefused
from clinicrecords.sync import address, server
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.pgserver import PgCluster, find_pg_bin, start_cluster
from tests.sync.workstations import Workstation

HOST = "clinic-server.test"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key) -> bytes:  # type: ignore[no-untyped-def]
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _ca(folder: Path, cn: str):  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{cn.replace(' ', '-')}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def _server_cert(folder: Path, ca_key, ca_cert, host: str) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    crt, pem = folder / "server.crt", folder / "server.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(_pem_key(key))
    return crt, pem


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory) -> Iterator[tuple[PgCluster, Path, Path]]:
    if find_pg_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    folder = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert, ca_path = _ca(folder, "Clinic Test CA")
    _other_key, _other_cert, other_ca = _ca(folder, "Someone Else CA")
    cluster = start_cluster(tls=_server_cert(folder, ca_key, ca_cert, HOST))
    try:
        cluster.create_database("clinic_tls")
        yield cluster, ca_path, other_ca
    finally:
        cluster.destroy()


@pytest.mark.slow
def test_verify_full_with_the_clinic_ca_syncs_and_a_wrong_ca_or_name_is_refused(
    tls_cluster, store_dir: Path, tmp_path: Path
) -> None:
    cluster, ca, other_ca = tls_cluster
    url = cluster.tcp_url("clinic_tls", HOST, sslmode="verify-full", sslrootcert=str(ca))
    ws1 = Workstation("front-1", store_dir, USERS["admin"])
    try:
        server.attach(ws1.session, url, "front-1")
        chart = ws1.register("Jablonski", "Kit", "1949-04-04")
        ws1.sync()
        store, user, _ = server.join_open(
            tmp_path / "office", url, PASSPHRASE, USERS["admin"], PASSWORD,
            workstation_name="office",
        )  # fmt: skip
        from clinicrecords.clinic.session import Session

        ws2 = Workstation("office", tmp_path / "office", USERS["admin"], Session(store, user))
        try:
            assert chart.mrn in ws2.charts()
            with address.connect(url) as pg:  # the program's own connection is TLS
                row = pg.execute(
                    "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
                ).fetchone()
            assert row[0] is True and row[1].startswith("TLS")
            ws2.edit(chart.mrn, phone="555-0303")
            ws2.sync()
            ws1.sync()
            assert ws1.charts()[chart.mrn][3] == "555-0303"
        finally:
            ws2.close()
    finally:
        ws1.close()

    wrong_ca = cluster.tcp_url("clinic_tls", HOST, sslmode="verify-full", sslrootcert=str(other_ca))
    wrong_name = cluster.tcp_url(
        "clinic_tls", "other-name.test", sslmode="verify-full", sslrootcert=str(ca)
    )
    for url in (wrong_ca, wrong_name):
        with pytest.raises(ServerRefused) as refused:
            server.join_open(tmp_path / "intruder", url, PASSPHRASE, USERS["admin"], PASSWORD)
        message = str(refused.value)
        assert message.count(".") == 1 and "certificate could not be verified" in message
        assert "Someone" not in message and str(cluster.port) not in message

    weak = cluster.tcp_url("clinic_tls", HOST, sslmode="require")
    with pytest.raises(BadInput, match="sslmode=verify-full"):
        server.join_open(tmp_path / "weak", weak, PASSPHRASE, USERS["admin"], PASSWORD)
