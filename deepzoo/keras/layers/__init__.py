"""``keras.layers``: deepzoo's layers under their Keras names."""

from ...layers import (
    LSTM,
    Activation,
    AveragePooling2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Layer,
    MaxPool2D,
    RepeatVector,
    SimpleRNN,
    TimeDistributed,
)
from .._missing import missing_names

#: Keras's other names of the pooling layers
MaxPooling2D = MaxPool2D
AvgPool2D = AveragePooling2D

__all__ = ["Activation", "AveragePooling2D", "AvgPool2D", "Conv2D", "Dense", "Dropout", "Flatten", "Input",
           "InputLayer", "LSTM", "Layer", "MaxPool2D", "MaxPooling2D", "RepeatVector", "SimpleRNN",
           "TimeDistributed"]

__getattr__ = missing_names("keras.layers", {
    "BatchNormalization": "", "LayerNormalization": "", "Embedding": "", "GRU": "",
    "Bidirectional": "", "Conv1D": "", "MaxPooling1D": "", "AveragePooling1D": "",
    "GlobalAveragePooling1D": "", "GlobalAveragePooling2D": "", "GlobalMaxPooling2D": "",
    "ZeroPadding2D": "", "Reshape": "", "LeakyReLU": "Use Activation('leaky_relu', alpha=...).",
    "PReLU": "", "ReLU": "Use Activation('relu').", "Softmax": "Use Activation('softmax').",
    "Concatenate": "Sequential models have one input and one output.", "Add": "", "Lambda": "",
    "Conv2DTranspose": "", "UpSampling2D": "", "SeparableConv2D": "", "DepthwiseConv2D": "",
})
