"""A learnable per-feature scale: ``y[n, j] = x[n, j] * s[j]``."""

from deepzoo.layers import Layer


class Scale(Layer):
    default_name = "scale"
    example_args = {}
    example_input_shape = (4,)

    def check_input_shape(self, input_shape):
        if len(input_shape) != 1:
            from deepzoo.errors import ShapeError

            raise ShapeError(f"layer '{self.name}' expects (batch, features), got {input_shape}")

    def create_params(self, input_shape):
        self.add_param("scale", input_shape, "ones", input_shape[0], input_shape[0])

    def forward(self, x, training=False):
        self.check_input(x)
        ops, s = self.ops, self.params["scale"]
        y = ops.multiply(x, s)

        def backward(dy):
            ops.sum_rows(ops.multiply(dy, x), out=self.grads["scale"])
            return ops.multiply(dy, s)

        return y, backward
