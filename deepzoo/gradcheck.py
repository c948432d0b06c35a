"""``gradcheck``: compare a backward pass with finite differences, in float64.

For a scalar ``L = sum(R * f(x))`` with a fixed random ``R``, the analytic
gradients that ``backward`` returns must match the central differences

    dL/dv ~ (L(v + eps) - L(v - eps)) / (2 eps)

for every input element and every parameter element ``v``. This is how every
layer, activation and loss of deepzoo is tested, and how a learner can test a
layer of their own::

    from deepzoo import gradcheck
    result = gradcheck(MyLayer(3), x)
    print(result)          # a table of the largest errors
    assert result.ok

Pick inputs away from kinks (ReLU at 0, ties in a max), where a derivative does
not exist and finite differences disagree with any choice of backward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import DeepZooError


class GradientCheckError(DeepZooError, AssertionError):
    """Raised by ``gradcheck(..., raise_on_failure=True)`` when gradients disagree."""


@dataclass
class GradcheckResult:
    """Largest absolute and relative error per checked quantity."""

    errors: dict = field(default_factory=dict)  # name -> (max abs error, max rel error)
    atol: float = 1e-6
    rtol: float = 1e-4

    @property
    def ok(self) -> bool:
        return all(a <= self.atol or r <= self.rtol for a, r in self.errors.values())

    def __bool__(self):
        return self.ok

    def __str__(self):
        lines = [f"{'gradient':<20}{'max abs err':>14}{'max rel err':>14}  ok"]
        for name, (a, r) in self.errors.items():
            ok = a <= self.atol or r <= self.rtol
            lines.append(f"{name:<20}{a:>14.3e}{r:>14.3e}  {'yes' if ok else 'NO'}")
        return "\n".join(lines)


def _compare(name, analytic, numeric, result):
    analytic = np.asarray(analytic, dtype=np.float64)
    diff = np.abs(analytic - numeric)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1), 0.0)
    result.errors[name] = (float(diff.max(initial=0)), float(rel.max(initial=0)))


def _numeric(loss_of, array, eps):
    grad = np.zeros(array.shape)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = loss_of()
        flat[i] = old - eps
        down = loss_of()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def gradcheck(target, x, y=None, *, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0, training=True,
              ops=None, raise_on_failure=False) -> GradcheckResult:
    """Check the gradients of a layer, an activation, a loss or a Sequential model.

    Parameters
    ----------
    target : Layer, ActivationFunction, Loss or Sequential
        A layer is copied into float64 (its weights too, if it is built).
    x : array
        Input batch (for a loss: the predictions).
    y : array, optional
        Targets, for a loss only.
    eps, atol, rtol : float
        Finite-difference step and tolerances (an element passes if either holds).
    training : bool
        Run layers in training mode (dropout masks are held fixed across calls).
    raise_on_failure : bool
        Raise :class:`GradientCheckError` with the table instead of returning it.
    """
    from .activations import ActivationFunction
    from .backend import get_ops
    from .layers.base import Layer
    from .losses import Loss
    from .model import Sequential

    ops = get_ops(ops)
    x = np.array(x, dtype=np.float64)
    result = GradcheckResult(atol=atol, rtol=rtol)
    rng = np.random.default_rng(seed)

    if isinstance(target, Loss):
        t = target.prepare_targets(np.asarray(y), np.float64)
        _, grad = target.forward(ops, ops.asarray(x), ops.asarray(t))
        _compare("d/dy_pred", ops.to_host(grad),
                 _numeric(lambda: target.forward(ops, ops.asarray(x), ops.asarray(t))[0], x, eps),
                 result)
    elif isinstance(target, ActivationFunction):
        weights = rng.standard_normal(x.shape)

        def loss_of():
            return float(np.sum(ops.to_host(target.forward(ops, ops.asarray(x.copy()))[0]) * weights))

        _, backward = target.forward(ops, ops.asarray(x.copy()))
        _compare("d/dx", ops.to_host(backward(ops.asarray(weights))), _numeric(loss_of, x, eps), result)
    elif isinstance(target, (Layer, Sequential)):
        layers = target.layers if isinstance(target, Sequential) else [target]
        clones = _float64_clones(layers, x.shape[1:], ops)
        out_shape = (x.shape[0],) + clones[-1].output_shape
        weights = rng.standard_normal(out_shape)

        def run():
            out, backs = ops.asarray(x), []
            for i, layer in enumerate(clones):
                layer.rng = np.random.default_rng(seed + i)  # the same dropout mask every call
                out, back = layer.forward(out, training=training)
                backs.append(back)
            return out, backs

        def loss_of():
            return float(np.sum(ops.to_host(run()[0]) * weights))

        out, backs = run()
        for layer in clones:
            layer.zero_grads()
        grad = ops.asarray(weights)
        for back in reversed(backs):
            grad = back(grad)
        _compare("d/dx", ops.to_host(grad), _numeric(loss_of, x, eps), result)
        for layer in clones:
            for key, param in layer.params.items():
                spec = getattr(layer, "param_specs", {}).get(key)
                if spec is not None and not spec.trainable:
                    continue  # updated by the layer itself (moving averages): it has no gradient
                host = np.array(ops.to_host(param))  # perturbed on the host, copied back
                analytic = ops.to_host(layer.grads[key]).copy()

                def loss_param(layer=layer, key=key, host=host):
                    ops.assign(layer.params[key], ops.asarray(host))
                    return loss_of()

                numeric = _numeric(loss_param, host, eps)
                ops.assign(layer.params[key], ops.asarray(host))
                name = f"{layer.name}/{key}" if len(clones) > 1 else f"d/d{key}"
                _compare(name, analytic, numeric, result)
    else:
        raise TypeError(
            f"gradcheck checks a Layer, an ActivationFunction, a Loss or a Sequential model; "
            f"received {type(target).__name__}"
        )
    if raise_on_failure and not result.ok:
        raise GradientCheckError(f"gradients disagree with finite differences:\n{result}")
    return result


def _float64_clones(layers, input_shape, ops):
    clones, shape = [], tuple(input_shape)
    for layer in layers:
        config = {**layer.get_config(), "dtype": "float64"}
        clone = type(layer).from_config(config)
        clone.ops = ops
        clone.build(shape, rng=np.random.default_rng(0))
        if layer.built:
            clone.set_weights({k: v.astype(np.float64) for k, v in layer.get_weights().items()})
        clones.append(clone)
        shape = clone.output_shape
    return clones
