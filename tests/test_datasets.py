"""Data loaders: local files, downloads from a local HTTP server, corrupt files, offline."""

import functools
import http.server
import shutil
import socket
import threading

import numpy as np
import pytest
from shared_data import DATA as SHARED
from shared_data import needs_mnist as needs_data
from shared_data import needs_pima

from deepzoo import DataError
from deepzoo.datasets import load_mnist, load_pima, one_hot, train_test_split
from deepzoo.datasets import mnist as mnist_module


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv("DEEPZOO_DATA", raising=False)


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over tmp_path/www; yields (folder, base url)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@needs_data
def test_mnist_from_the_data_folder_matches_the_published_statistics(no_env):
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir=SHARED)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert x_train.mean() == pytest.approx(33.318, abs=1e-3)


@needs_pima
def test_data_folder_found_through_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEPZOO_DATA", str(SHARED))
    x, y = load_pima(cache_dir=tmp_path / "never-used")
    assert x.shape == (768, 8) and y.shape == (768,) and y.sum() == 268
    np.testing.assert_allclose(x.mean(axis=0), [3.8, 120.9, 69.1, 20.5, 79.8, 32.0, 0.5, 33.2], atol=0.06)
    assert not (tmp_path / "never-used").exists()


@needs_data
def test_download_into_the_cache_with_checksums(no_env, server, tmp_path):
    www, url = server
    for name in mnist_module.FILES:
        shutil.copy(SHARED / "mnist" / name, www / name)
    cache = tmp_path / "cache"
    (x_train, _), (x_test, y_test) = load_mnist(cache_dir=cache, url=url)
    assert x_train.shape == (60000, 28, 28) and y_test[:3].tolist() == [7, 2, 1]
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(mnist_module.FILES)
    for name in mnist_module.FILES:  # served no more: the second load reads the cache
        (www / name).unlink()
    (_, _), (x_again, _) = load_mnist(cache_dir=cache, url=url)
    np.testing.assert_array_equal(x_again, x_test)


@needs_pima
def test_truncated_download_is_a_checksum_error(no_env, server, tmp_path):
    www, url = server
    (www / "pima-indians-diabetes.csv").write_bytes((SHARED / "pima-indians-diabetes.csv").read_bytes()[:-100])
    with pytest.raises(DataError, match="corrupt or truncated.*checksum"):
        load_pima(cache_dir=tmp_path / "cache", url=url)
    assert not (tmp_path / "cache" / "pima" / "pima-indians-diabetes.csv").exists()


@needs_data
def test_corrupt_local_file_is_a_checksum_error_not_garbage(no_env, tmp_path):
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for name in mnist_module.FILES:
        shutil.copy(SHARED / "mnist" / name, folder / name)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:2000])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz is corrupt or truncated: its SHA-256"):
        load_mnist(data_dir=tmp_path / "data")


def test_offline_without_files_says_which_files_to_put_where(no_env, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataError) as err:
        load_mnist(data_dir=tmp_path / "mine", cache_dir=tmp_path / "cache", url=f"http://127.0.0.1:{port}/")
    message = str(err.value)
    assert "could not be downloaded" in message and "Offline?" in message
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in message
    assert str(tmp_path / "mine" / "mnist") in message and str(tmp_path / "cache" / "mnist") in message


def test_idx_reader_rejects_garbage(tmp_path):
    import gzip

    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + (2).to_bytes(4, "big") * 3 + b"\x01" * 5))
    with pytest.raises(DataError, match=r"announces shape \(2, 2, 2\), but the file holds 5 bytes"):
        mnist_module.read_idx(bad)
    bad.write_bytes(gzip.compress(b"PK\x03\x04 not idx"))
    with pytest.raises(DataError, match="not an IDX file"):
        mnist_module.read_idx(bad)


def test_one_hot_and_split():
    np.testing.assert_array_equal(one_hot([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    assert one_hot(np.array([1, 3]), classes=5).shape == (2, 5)
    with pytest.raises(DataError, match=r"labels must lie in \[0, 2\]"):
        one_hot(np.array([0, 3]), classes=3)
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_fraction=0.3, seed=1)
    assert len(x_te) == 3 and len(x_tr) == 7
    np.testing.assert_array_equal(x_te[:, 0] // 2, y_te)
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(10))
    again = train_test_split(x, y, test_fraction=0.3, seed=1)
    np.testing.assert_array_equal(again[3], y_te)
