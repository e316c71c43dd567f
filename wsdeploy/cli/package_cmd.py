"""`wsdeploy package`: build the deployment zip alone, to inspect it or to ship it another way."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ..config import display_path
from ..package import build_package
from ..private_files import private_dir, write_atomically
from . import app
from .console import print_result, say
from .options import CONFIG_OPTION, DEBUG_OPTION, STAGE_ARGUMENT, examples
from .stage import load_settings


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""  # unreachable


def _write_zip(path: Path, data: bytes, state_dir: Path) -> None:
    """Written whole or not at all; in the state folder (the default place) readable by its
    owner only, elsewhere as the umask says."""
    private = Path(os.path.normpath(state_dir)) in Path(os.path.normpath(path)).parents
    if private:
        private_dir(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, private=private)


PACKAGE_HELP = (
    "Build the deployment zip for a stage, without touching AWS.\n\n"
    "The zip holds your source folder (minus hidden files, caches, virtual environments and "
    "your exclude globs), wsdeploy's small runtime, and your requirements installed for "
    "Lambda's platform. Your handlers are imported and checked first, so a broken module is "
    "reported here rather than after a deploy.\n\n"
    "Files that look like secrets (private keys, id_rsa, *.pem, *.key, *.p12, credentials*, "
    "secrets.json, *.tfstate, kubeconfig, any file holding a PRIVATE KEY block) are left out "
    "and listed; `include` in wsdeploy.toml forces one in.\n\n"
    "The same inputs give the same bytes, so the printed SHA-256 (in Lambda's CodeSha256 "
    "form) tells whether your code changed.\n\n"
    + examples(("wsdeploy package --list", "build the zip and list every file in it"),
               ("wsdeploy package prod -o dist/app.zip", "build prod's zip into dist/app.zip"))
)


@app.command("package", help=PACKAGE_HELP, short_help="Build the deployment zip, without touching AWS.")
def package_command(
    stage: str = STAGE_ARGUMENT,
    output: Path = typer.Option(
        None, "--output", "-o", metavar="FILE", dir_okay=False,
        help="Where to write the zip. Default: .wsdeploy/APP-STAGE-ws.zip beside wsdeploy.toml.",
    ),
    config: Path = CONFIG_OPTION,
    list_files: bool = typer.Option(False, "--list", help="Also print every file in the zip."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Build and write the zip, then print where it is, its size, file count and hash."""
    cfg = load_settings(config, stage)
    destination = (output or cfg.state_dir / f"{cfg.resource_name}.zip").absolute()
    built = build_package(cfg, skip=[destination], progress=lambda line: say(line + " ..."))
    _write_zip(destination, built.data, cfg.state_dir.absolute())

    routes = ", ".join(route.key + (" (reply)" if route.reply else "") for route in built.handler.routes)
    print_result(f"Packaged {cfg.app} (stage {cfg.stage}) into {display_path(destination)}")
    print_result(f"  size     {_human(built.size)} zipped, {_human(built.unzipped_size)} unzipped, "
                 f"{built.file_count} files")
    print_result(f"  sha256   {built.sha256_b64}  (Lambda's CodeSha256)", wrap=False)
    print_result(f"  handler  {built.handler.module}: {routes}")
    if built.left_out:
        width = max(len(item.path) for item in built.left_out)
        print_result(f"  left out {len(built.left_out)} file(s) that look like secrets (to package "
                     "one, list it in include in wsdeploy.toml):")
        print_result("\n".join(f"    {item.path:<{width}}  {item.reason}" for item in built.left_out),
                     wrap=False)
    if list_files:
        print_result("\n".join("  " + name for name in built.files), wrap=False)
