"""The playground's settings, sessions, exported programs and server API (Starlette's test client)."""

import json

import numpy as np
import pytest

from deepzoo.playground import data
from deepzoo.playground.session import Session, SettingsError, check_settings, options

starlette = pytest.importorskip("starlette", reason="the playground extra is not installed")
# Starlette's test client needs an HTTP client package (httpx2, or the older httpx)
TestClient = pytest.importorskip("starlette.testclient", reason="no HTTP client for the test client").TestClient

from deepzoo.playground.server import create_app  # noqa: E402


def client():
    return TestClient(create_app(allowed_hosts=("testserver", "127.0.0.1", "localhost")))


def test_every_data_set_is_reproducible_and_inside_the_square():
    for name in data.DATASETS:
        if name == "pima":
            continue  # needs the data file; see test_the_pima_data_set
        a, b = data.make_dataset(name, 200, noise=20, seed=3), data.make_dataset(name, 200, noise=20, seed=3)
        np.testing.assert_array_equal(a[0], b[0])
        assert a[0].shape == (200, 2) and np.abs(a[0]).max() <= data.EXTENT


def test_settings_are_checked_with_clear_messages():
    assert check_settings({})["loss"] == "binary_crossentropy"
    assert check_settings({"dataset": "plane"})["loss"] == "mean_squared_error"
    for bad, message in [({"activation": "evil"}, "activation must be one of"),
                         ({"layers": [10_000]}, "at most 8 unit counts from 1 to 64"),
                         ({"layers": [4] * 9}, "at most 8"),
                         ({"learning_rate": -1}, "learning_rate must be a number from 1e-06 to 10"),
                         ({"features": ["__import__('os')"]}, "features must be"),
                         ({"code": "print(1)"}, "unknown setting"),
                         ({"dataset": "plane", "loss": "binary_crossentropy"}, "needs targets 0 and 1")]:
        with pytest.raises(SettingsError, match=message):
            check_settings(bad)


def test_training_in_pieces_equals_the_exported_program(capsys):
    """The page trains in chunks; the program trains once: same final losses."""
    session = Session({"dataset": "xor", "layers": [4], "features": ["x1", "x2", "x1*x2"],
                       "optimizer": "adam", "learning_rate": 0.01, "regularization": "l2",
                       "regularization_rate": 0.001, "seed": 5})
    for epochs in (1, 3, 2):
        session.train(epochs=epochs)
    exec(compile(session.code(), "exported", "exec"), {"__name__": "__main__"})
    printed = capsys.readouterr().out
    assert f"training loss {session.train_loss:.6f}, test loss {session.test_loss:.6f}" in printed
    exec(compile(session.keras_code(), "exported_keras", "exec"), {"__name__": "__main__"})  # runs too
    assert "keras.optimizers.Adam(learning_rate=0.01)" in session.keras_code()


def test_a_frame_holds_what_the_page_draws():
    session = Session({"dataset": "sine", "layers": [3], "features": ["x1"], "activation": "sigmoid"})
    session.train(epochs=2)
    frame = session.frame()
    assert len(frame["units"]) == 1 and len(frame["units"][0]) == 3
    assert frame["surface_size"] == 64 and len(frame["weights"]) == 2
    assert len(frame["curve"]["units"]) == 3 and len(frame["curve"]["fit"]) == 101
    json.dumps(frame)  # JSON all the way


def test_the_menus_come_from_the_registries():
    with client() as c:
        menus = c.get("/api/options").json()
    assert menus == json.loads(json.dumps(options()))
    assert "tanh" in menus["activations"] and "adam" in menus["optimizers"]
    assert "sparse_categorical_crossentropy" not in menus["losses"]


def test_the_websocket_trains_steps_and_exports():
    with client() as c, c.websocket_connect("/ws") as ws:
        ws.send_json({"type": "settings", "settings": {"dataset": "circle", "activation": "tanh", "seed": 1}})
        assert ws.receive_json()["type"] == "points"
        first = ws.receive_json()
        assert first["type"] == "frame" and first["epoch"] == 0
        ws.send_json({"type": "step"})
        assert ws.receive_json()["epoch"] == 1
        ws.send_json({"type": "play"})
        frames = [ws.receive_json() for _ in range(3)]
        ws.send_json({"type": "pause"})
        assert frames[-1]["epoch"] > 1
        ws.send_json({"type": "settings", "settings": {"layers": [10_000]}})
        while (message := ws.receive_json())["type"] == "frame":
            pass  # frames sent before the pause arrived
        assert message["type"] == "error" and "at most 8 unit counts" in message["message"]


def test_foreign_hosts_and_origins_are_refused():
    with client() as c:
        assert c.get("/", headers={"host": "attacker.example"}).status_code == 400
        from starlette.websockets import WebSocketDisconnect

        with pytest.raises(WebSocketDisconnect):
            with c.websocket_connect("/ws", headers={"origin": "http://attacker.example"}) as ws:
                ws.receive_json()
        with c.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
            ws.send_json({"type": "play"})
            assert ws.receive_json() == {"type": "error", "message": "send the settings first"}
