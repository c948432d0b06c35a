"""``keras.layers``: deepzoo's layers under their Keras names."""

from ...layers import (
    ELU,
    LSTM,
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    Input,
    InputLayer,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    RepeatVector,
    Reshape,
    SimpleRNN,
    Softmax,
    TimeDistributed,
)
from .._missing import missing_names

#: Keras's other names of the pooling layers
MaxPooling2D = MaxPool2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D

__all__ = ["Activation", "AveragePooling2D", "AvgPool2D", "BatchNormalization", "Conv2D", "Dense", "Dropout",
           "ELU", "Flatten", "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
           "GlobalMaxPooling2D", "Input", "InputLayer", "LSTM", "Layer", "LeakyReLU", "MaxPool2D",
           "MaxPooling2D", "ReLU", "RepeatVector", "Reshape", "SimpleRNN", "Softmax",
           "TimeDistributed"]

__getattr__ = missing_names("keras.layers", {
    "LayerNormalization": "", "Embedding": "", "GRU": "",
    "Bidirectional": "", "Conv1D": "", "MaxPooling1D": "", "AveragePooling1D": "",
    "GlobalAveragePooling1D": "", "GlobalMaxPooling1D": "", "ZeroPadding2D": "", "PReLU": "",
    "Concatenate": "Sequential models have one input and one output.", "Add": "", "Lambda": "",
    "Conv2DTranspose": "", "UpSampling2D": "", "SeparableConv2D": "", "DepthwiseConv2D": "",
})
