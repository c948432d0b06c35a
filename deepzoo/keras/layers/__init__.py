"""``keras.layers``: deepzoo's layers under their Keras names."""

from ...layers import (
    ELU,
    GRU,
    LSTM,
    Activation,
    AveragePooling1D,
    AveragePooling2D,
    BatchNormalization,
    Bidirectional,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    Input,
    InputLayer,
    Layer,
    LayerNormalization,
    LeakyReLU,
    MaxPool2D,
    MaxPooling1D,
    PReLU,
    ReLU,
    RepeatVector,
    Reshape,
    SimpleRNN,
    Softmax,
    TimeDistributed,
    ZeroPadding2D,
)
from .._missing import missing_names

#: Keras's other names of the pooling layers
MaxPooling2D = MaxPool2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D

__all__ = ["Activation", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D",
           "BatchNormalization", "Bidirectional", "Conv1D", "Conv2D", "Dense", "Dropout", "ELU",
           "Embedding", "Flatten", "GRU", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Input", "InputLayer", "LSTM", "Layer",
           "LayerNormalization", "LeakyReLU", "MaxPool1D", "MaxPool2D", "MaxPooling1D",
           "MaxPooling2D", "PReLU", "ReLU", "RepeatVector", "Reshape", "SimpleRNN", "Softmax",
           "TimeDistributed", "ZeroPadding2D"]

__getattr__ = missing_names("keras.layers", {
    "UnitNormalization": "", "GroupNormalization": "",
    "ZeroPadding1D": "", "Cropping2D": "",
    "Concatenate": "Sequential models have one input and one output.", "Add": "", "Lambda": "",
    "Conv2DTranspose": "", "UpSampling2D": "", "SeparableConv2D": "", "DepthwiseConv2D": "",
})
