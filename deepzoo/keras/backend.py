"""``keras.backend``: the little of it that classic Keras programs ask."""

from ..errors import MissingFeatureError

__all__ = ["image_data_format", "set_image_data_format"]


def image_data_format() -> str:
    """deepzoo's images are channels-last, ``(batch, height, width, channels)``, as Keras's default."""
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Only ``"channels_last"`` is possible."""
    if data_format != "channels_last":
        raise MissingFeatureError(f"deepzoo's images are channels-last only; received {data_format!r}")
