"""``gait serve``: register with ``app.command("serve")(serve_command)`` in gait/cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve_command(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 keeps the app on this computer.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(min=0, max=16, help="Analyses run at the same time (default $GAIT_WORKERS or 1); others queue."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for clips, results and the database (default $GAIT_DATA_DIR or ./gait-data)."),
    ] = None,
) -> None:
    """Start the web app: upload clips in a browser, read reports, keep a history."""
    try:
        import uvicorn

        from gait.web.app import create_app
        from gait.web.hosts import is_loopback
        from gait.web.settings import Settings
    except ImportError as err:  # pragma: no cover - depends on the installation
        typer.echo(
            f"gait: error: the web app needs FastAPI and uvicorn ({err.name} is missing); "
            "reinstall gait (pip install -e .).",
            err=True,
        )
        raise typer.Exit(1) from None

    overrides: dict[str, object] = {}
    if workers is not None:
        overrides["workers"] = workers
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = Settings(**overrides)  # type: ignore[arg-type]
    address = f"{'[' + host + ']' if ':' in host else host}:{port}"
    if host not in ("127.0.0.1", "localhost", "::1") and settings.token is None:
        typer.echo(
            f"gait: warning: listening on {host} without GAIT_TOKEN: anyone on the network can open the app.", err=True
        )
    if host in ("0.0.0.0", "::", ""):
        typer.echo(
            "gait: note: only localhost is answered until the address others open "
            f"(e.g. http://<this computer's name>:{port}) is listed in GAIT_ALLOWED_ORIGINS.",
            err=True,
        )
    elif not is_loopback(host.lower()):  # the address given is the one to open: answer to it
        origin = f"http://{address}"
        settings = settings.model_copy(
            update={"allowed_origins": ",".join(filter(None, (settings.allowed_origins, origin)))}
        )
    typer.echo(f"gait: serving on http://{address}/ (data in {settings.data_dir.resolve()})")
    # one server process: the analysis pool lives inside it (uvicorn --workers would start several pools)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
