"""The playground's web application: Starlette routes, served by uvicorn on the loopback address.

``GET /`` is the page (``static/index.html``), ``GET /api/options`` the menus
(data sets, features, and the registries' activations, losses and optimizers, so a
plugin's appear by themselves), and ``/ws`` a WebSocket per open page, which owns
one training session and ends it when the page closes.

The page sends JSON commands: ``{"type": "settings", "settings": {...}}`` (check
them and start a new session), ``play``, ``pause``, ``step`` (one epoch), ``reset``
and ``code``. The server answers with ``points`` (the data), ``frame`` (what to
draw, about 20 times a second while playing), ``code`` and ``error`` (a setting
refused, with the reason). Training runs in a worker thread, so the page's
commands are read while a model trains.

Safety: the server listens on 127.0.0.1 only. A request whose ``Host`` header is
not the loopback address (a DNS-rebinding page) is refused, and so is a
WebSocket whose ``Origin`` is not this server's own page (another site in the
same browser). The page can only choose among registry names and numbers within
bounds (:func:`~deepzoo.playground.session.check_settings`), never send code.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import DeepZooError
from .session import Session, SettingsError, options

STATIC = Path(__file__).parent / "static"
#: seconds of training between two frames while playing (about 20 frames a second)
FRAME_SECONDS = 0.04
LOOPBACK = ("127.0.0.1", "localhost")


def create_app(device=None, data_dir=None, allowed_hosts=LOOPBACK) -> Starlette:
    """The application; ``allowed_hosts`` are the names the ``Host`` header may carry."""

    async def page(request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def menus(request):
        return JSONResponse(options())

    async def session_socket(websocket: WebSocket):
        host, origin = websocket.headers.get("host", ""), websocket.headers.get("origin")
        if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
            await websocket.close(code=1008, reason="the playground answers only its own page")
            return
        await websocket.accept()
        await _serve(websocket, device, data_dir)

    routes = [Route("/", page), Route("/api/options", menus), WebSocketRoute("/ws", session_socket),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    hosts = Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    return Starlette(routes=routes, middleware=[hosts])


async def _serve(websocket, device, data_dir) -> None:
    """Run one page's session: read its commands, train while it plays, send frames."""
    commands: asyncio.Queue = asyncio.Queue()

    async def read():
        try:
            while True:
                await commands.put(await websocket.receive_json())
        except (WebSocketDisconnect, RuntimeError, ValueError):
            await commands.put({"type": "closed"})

    reader = asyncio.create_task(read())
    session, playing = None, False
    try:
        while True:
            if playing and session is not None and commands.empty():
                frame = await asyncio.to_thread(_train_and_draw, session, None, FRAME_SECONDS)
                await websocket.send_json(frame)
                continue
            command = await commands.get()
            kind = command.get("type") if isinstance(command, dict) else None
            if kind == "closed":
                return
            try:
                if kind == "settings":
                    playing = False
                    session = await asyncio.to_thread(Session, command.get("settings", {}), device, data_dir)
                    await websocket.send_json(session.points())
                    await websocket.send_json(await asyncio.to_thread(session.frame))
                elif session is None:
                    raise SettingsError("send the settings first")
                elif kind == "play":
                    playing = True
                elif kind == "pause":
                    playing = False
                elif kind == "step":
                    playing = False
                    await websocket.send_json(await asyncio.to_thread(_train_and_draw, session, 1, None))
                elif kind == "reset":
                    playing = False
                    session = await asyncio.to_thread(Session, session.settings, device, data_dir)
                    await websocket.send_json(session.points())
                    await websocket.send_json(await asyncio.to_thread(session.frame))
                elif kind == "code":
                    await websocket.send_json({"type": "code", "code": session.code(),
                                               "keras": session.keras_code()})
                else:
                    raise SettingsError(f"unknown command {kind!r}")
            except (SettingsError, DeepZooError) as exc:
                await websocket.send_json({"type": "error", "message": str(exc)})
    except WebSocketDisconnect:
        return
    finally:
        reader.cancel()


def _train_and_draw(session, epochs, seconds) -> dict:
    session.train(epochs=epochs, seconds=seconds)
    return session.frame()


def serve(port=0, open_browser=True, device=None, data_dir=None) -> None:
    """Serve the playground on 127.0.0.1 until Ctrl-C; ``port=0`` takes a free one."""
    import socket
    import webbrowser

    import uvicorn

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)  # connections wait in the queue until the server takes them: the address works at once
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    config = uvicorn.Config(create_app(device, data_dir), log_level="warning", ws="websockets")
    server = uvicorn.Server(config)
    print(f"deepzoo playground: {url} (Ctrl-C stops it)", flush=True)
    if open_browser:
        webbrowser.open(url)
    server.run(sockets=[listener])
