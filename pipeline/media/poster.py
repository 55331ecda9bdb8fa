"""The poster frame of a video: an early frame that shows something, not blindly frame 0.

Candidates are taken in time order at 0 s, 1 s, and 10, 25, 50 and 75 % of the duration.
Each is measured on a 64-pixel grey copy: a frame is blank when it is dark (mean luma under
24 of 255), washed out (over 235) or flat (luma standard deviation under 8), which catches
black lead-ins, fades and title cards of one colour. The first candidate that is not blank
wins, so a typical video costs one seek and one decode; when all are blank, the one with the
most contrast wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
from PIL import Image, ImageStat

from pipeline.media.errors import CorruptMedia
from pipeline.media.video_frames import frame_at, to_display_image
from pipeline.media.video_probe import OpenedVideo, typed_video_errors

CANDIDATE_SECONDS = (0.0, 1.0)
# When the container states no duration (WebM written live, by a browser's MediaRecorder):
# candidates past the end decode nothing and are skipped.
UNKNOWN_DURATION_SECONDS = (0.0, 1.0, 2.0, 5.0)
CANDIDATE_FRACTIONS = (0.1, 0.25, 0.5, 0.75)
SCORE_SIDE = 64
DARK_MEAN, BRIGHT_MEAN, FLAT_STDDEV = 24.0, 235.0, 8.0


@dataclass(frozen=True)
class Score:
    mean: float  # luma 0-255
    stddev: float

    @property
    def blank(self) -> bool:
        return self.mean < DARK_MEAN or self.mean > BRIGHT_MEAN or self.stddev < FLAT_STDDEV


@dataclass(frozen=True)
class Poster:
    image: Image.Image  # displayed orientation and aspect, RGB
    time_s: float
    rotation: int  # clockwise degrees a player turns the stored frames
    all_blank: bool


def candidate_times(duration_s: float | None) -> list[float]:
    """Seconds into the video to try, in order, each before the end."""
    if not duration_s or duration_s <= 0:
        return list(UNKNOWN_DURATION_SECONDS)
    times = [t for t in CANDIDATE_SECONDS if t < duration_s]
    times += [round(duration_s * f, 3) for f in CANDIDATE_FRACTIONS]
    return sorted(set(times))


def score(frame: av.VideoFrame) -> Score:
    grey = frame.reformat(width=SCORE_SIDE, height=SCORE_SIDE, format="gray").to_image()
    stat = ImageStat.Stat(grey)
    return Score(mean=round(stat.mean[0], 2), stddev=round(stat.stddev[0], 2))


def choose_poster(opened: OpenedVideo) -> Poster:
    """The poster of an opened video. Raises CorruptMedia when no frame decodes at all."""
    what = opened.sniffed.description
    best: tuple[av.VideoFrame, Score] | None = None
    with typed_video_errors(what):
        for target in candidate_times(opened.facts.duration_s):
            frame = frame_at(opened, target)
            if frame is None:
                continue
            measured = score(frame)
            if not measured.blank:
                return _poster(opened, frame, all_blank=False)
            if best is None or measured.stddev > best[1].stddev:
                best = (frame, measured)
        if best is None:
            raise CorruptMedia(
                f"The {what} has no frame that can be decoded; it is damaged or truncated. "
                "Export it again and upload it."
            )
        return _poster(opened, best[0], all_blank=True)


def _poster(opened: OpenedVideo, frame: av.VideoFrame, all_blank: bool) -> Poster:
    image, rotation = to_display_image(frame, opened.facts.sample_aspect)
    return Poster(image, round(float(frame.time or 0.0), 3), rotation, all_blank)
