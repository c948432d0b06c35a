"""Runnable demos, one module per lecture example.

Each module holds a plain training function (used by the tutorials and the
tests) and a click ``command`` registered in the ``deepzoo.demos`` entry-point
group, which ``deepzoo demo NAME`` runs.
"""
