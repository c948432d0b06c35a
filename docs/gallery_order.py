"""The order of the tutorial gallery: the lectures' tutorials by number, then the guides."""


class LecturesThenGuides:
    """A sort key for sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        return (not filename.startswith("lecture_"), filename)

    def __repr__(self):  # sphinx-gallery compares configurations by their text
        return "LecturesThenGuides"
