"""Plots go to files without touching the plotting session a notebook (or script) has."""

import subprocess
import sys
import textwrap


def test_saving_a_plot_keeps_the_sessions_backend_and_figures():
    script = textwrap.dedent("""
        import matplotlib
        matplotlib.use("svg")  # stands for a notebook's inline backend: anything but Agg
        import matplotlib.pyplot as plt
        import numpy as np
        from deepzoo.callbacks import History
        from deepzoo.plotting import plot_confusion_matrix, plot_history

        mine = plt.figure()  # the user's own figure, before and after
        history = History()
        history.history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
        plot_history(history, "curves.png")
        plot_confusion_matrix(np.eye(3, dtype=int) * 5, "matrix.png")
        assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
        assert plt.get_fignums() == [mine.number], plt.get_fignums()
        shown = plot_history(history)  # no path: a pyplot figure, for the session to show
        assert shown.number in plt.get_fignums()
        print("backend kept")
    """)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0 and "backend kept" in done.stdout, done.stderr[-2000:]
