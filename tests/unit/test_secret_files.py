"""Files that look like secrets are left out of the package, named, unless `include` asks for them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

import pytest

import wsdeploy.secret_files as secret_files
from tests.support.package_project import write_project
from wsdeploy.config import load_stage
from wsdeploy.errors import UserError
from wsdeploy.package import build_package
from wsdeploy.secret_files import HOLDS_KEY, NAMED, LeftOut, holds_private_key

PEM = "-----BEGIN {kind}PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END {kind}PRIVATE KEY-----\n"
SECRET_NAMES = ["id_rsa", "id_ed25519", "ID_RSA", "server.pem", "tls/server.key", "keys/store.p12",
                "store.PFX", "_netrc", "credentials", "credentials.json", "config/secrets.json",
                "infra/terraform.tfstate", "terraform.tfstate.backup", "kubeconfig"]


def built_names(built) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(built.data)).namelist()


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_files_named_like_keys_and_credentials_are_left_out_and_listed(tmp_path, name):
    config = write_project(tmp_path, files={name: "not even a key\n"}, echo=True)
    built = build_package(load_stage(config))
    assert name not in built_names(built) and name not in built.files
    assert built.left_out == (LeftOut(name, NAMED),)


@pytest.mark.parametrize("kind", ["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "DSA "])
def test_any_file_holding_a_private_key_block_is_left_out(tmp_path, kind):
    files = {"settings.txt": "x = 1\n" + PEM.format(kind=kind),
             "signing.py": f'KEY = """{PEM.format(kind=kind)}"""\n'}
    built = build_package(load_stage(write_project(tmp_path, files=files, echo=True)))
    assert built.left_out == (LeftOut("settings.txt", HOLDS_KEY), LeftOut("signing.py", HOLDS_KEY))
    assert "settings.txt" not in built.files and "signing.py" not in built.files


def test_a_pgp_private_key_block_is_found_too(tmp_path):
    path = tmp_path / "backup.asc"
    path.write_text("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF...\n")
    assert holds_private_key(path)


@pytest.mark.parametrize("name, text", [
    ("id_rsa.pub", "ssh-ed25519 AAAAC3Nz user@host\n"),
    ("cert.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
    ("docs.txt", "a key file starts with BEGIN PRIVATE KEY, without the dashes\n"),
    ("public.txt", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"),
    ("keys.py", "KEY_NAMES = ['id_rsa']\n"),
])
def test_public_keys_certificates_and_mentions_are_packaged(tmp_path, name, text):
    built = build_package(load_stage(write_project(tmp_path, files={name: text}, echo=True)))
    assert name in built.files and built.left_out == ()


def test_a_header_split_across_two_chunks_is_found(tmp_path):
    path = tmp_path / "big.txt"
    header = b"-----BEGIN RSA PRIVATE KEY-----"
    path.write_bytes(b"a" * (secret_files.CHUNK_BYTES - 10) + header + b"\n")
    assert holds_private_key(path)
    path.write_bytes(b"a" * (3 * secret_files.CHUNK_BYTES + 7) + header + b"\n")
    assert holds_private_key(path)


def test_a_big_binary_is_not_read_past_its_first_chunk(tmp_path, monkeypatch):
    path = tmp_path / "model.bin"
    path.write_bytes(b"\0" * (8 * 1024 * 1024) + b"-----BEGIN PRIVATE KEY-----")
    reads = []
    real_open = open

    class Counting(io.BufferedReader):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    monkeypatch.setattr(secret_files, "open", lambda p, mode: Counting(real_open(p, mode, buffering=0)),
                        raising=False)
    assert holds_private_key(path) is False
    assert reads == [secret_files.CHUNK_BYTES]


def test_include_forces_a_file_in_and_only_that_one(tmp_path):
    files = {"certs/ca-bundle.pem": "-----BEGIN CERTIFICATE-----\n", "certs/client.pem": "x",
             "id_rsa": "x"}
    toml = '[app]\nname = "chat"\ninclude = ["certs/ca-bundle.pem"]\n[stages.dev]\n'
    built = build_package(load_stage(write_project(tmp_path, toml, files, echo=True)))
    assert "certs/ca-bundle.pem" in built.files
    assert built.left_out == (LeftOut("certs/client.pem", NAMED), LeftOut("id_rsa", NAMED))


def test_include_does_not_bring_back_what_exclude_leaves_out(tmp_path):
    toml = '[app]\nname = "chat"\nexclude = ["certs/"]\ninclude = ["*.pem"]\n[stages.dev]\n'
    built = build_package(load_stage(write_project(tmp_path, toml, {"certs/ca.pem": "x"}, echo=True)))
    assert "certs/ca.pem" not in built.files and built.left_out == ()


def test_a_handler_module_left_out_as_a_secret_is_named_when_the_import_fails(tmp_path):
    files = {"app.py": "import signing\n" + (Path(__file__).parents[2] / "examples/echo/app.py").read_text(),
             "signing.py": f'KEY = """{PEM.format(kind="")}"""\n'}
    with pytest.raises(UserError) as caught:
        build_package(load_stage(write_project(tmp_path, files=files)))
    message = str(caught.value)
    assert "ModuleNotFoundError: No module named 'signing'" in message
    assert message.endswith("Left out as secrets: signing.py. If one is needed, move the secret out "
                            "of it, or list it in include in wsdeploy.toml")


def test_split_secrets_keeps_order_and_reads_each_file_once(tmp_path, monkeypatch):
    for name in ("a.txt", "b.pem", "c.txt"):
        (tmp_path / name).write_text("x")
    looked = []
    real = secret_files.holds_private_key
    monkeypatch.setattr(secret_files, "holds_private_key", lambda path: looked.append(path.name) or real(path))
    kept, left_out = secret_files.split_secrets(tmp_path, [PurePosixPath(n) for n in ("a.txt", "b.pem", "c.txt")])
    assert [str(p) for p in kept] == ["a.txt", "c.txt"] and left_out == [LeftOut("b.pem", NAMED)]
    assert looked == ["a.txt", "c.txt"]
