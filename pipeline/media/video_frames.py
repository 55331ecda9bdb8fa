"""Decoding single frames and spans of a video, and turning a frame into a displayed image."""

from __future__ import annotations

from collections.abc import Iterator

import av
from PIL import Image

from pipeline.media.video_probe import OpenedVideo

# After a seek (to the key frame at or before the target), decode at most this much video
# forward: a longer group of pictures gives the frame reached instead. This bounds the cost of
# one seek by one second of decoding whatever the encoder's key frame interval (phones use
# 1-2 s; screen recorders and some exports 10 s or more). Counted in frames, not in time, so
# the same file always gives the same frame.
MAX_FORWARD_SECONDS = 1.0
# Damaged packets are skipped; more failures than this in one pass mean a broken file.
MAX_BAD_PACKETS = 25
# FFmpeg colour matrices (AVColorSpace) and the matching swscale names.
_MATRICES = {1: "ITU709", 5: "ITU601", 6: "ITU601", 7: "SMPTE240M", 9: "BT2020", 10: "BT2020"}
# Frame side data gives the counter-clockwise angle; PIL's transposes are counter-clockwise.
_TURN = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def frames_from(opened: OpenedVideo, start_s: float) -> Iterator[av.VideoFrame]:
    """Decoded frames from the key frame at or before `start_s` on; the deadline is checked
    on every packet. Damaged packets are skipped, up to MAX_BAD_PACKETS."""
    stream = opened.stream
    time_base = stream.time_base
    offset = int(start_s / time_base) if time_base else 0
    if stream.start_time is not None:
        offset += stream.start_time
    opened.container.seek(offset, stream=stream, backward=True, any_frame=False)
    stream.codec_context.flush_buffers()
    bad = 0
    for packet in opened.container.demux(stream):
        opened.deadline.check("decoding the video")
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            bad += 1
            if bad > MAX_BAD_PACKETS:
                raise
            continue
        yield from frames


def forward_limit(opened: OpenedVideo) -> int:
    """Frames decoded at most after a seek before settling for the frame reached."""
    return max(1, round(min(opened.facts.fps or 30.0, 120.0) * MAX_FORWARD_SECONDS))


def frames_at(opened: OpenedVideo, start_s: float) -> Iterator[av.VideoFrame]:
    """Frames from the first shown at or after `start_s` on, except that when the key frame
    before it is more than MAX_FORWARD_SECONDS of frames away, from the frame reached then."""
    half_frame = 0.5 / (opened.facts.fps or 30.0)
    limit = forward_limit(opened)
    skipped = 0
    for frame in frames_from(opened, start_s):
        if frame.time is not None and frame.time < start_s - half_frame and skipped < limit:
            skipped += 1
            continue
        yield frame


def frame_at(opened: OpenedVideo, target_s: float) -> av.VideoFrame | None:
    """The frame shown at `target_s` (within the forward limit), or None past the end."""
    return next(frames_at(opened, target_s), None)


def to_display_image(
    frame: av.VideoFrame, sample_aspect: float = 1.0, longest: int | None = None
) -> tuple[Image.Image, int]:
    """The frame as an RGB image the way a player shows it: stretched to its display aspect,
    turned by the container's rotation and, with `longest`, scaled (by swscale, before the
    conversion to RGB) so its longer side is at most that many pixels, with even sides.
    Also the clockwise rotation applied."""
    matrix = _MATRICES.get(int(frame.colorspace or 2))
    if matrix is None:
        matrix = "ITU709" if frame.height >= 720 else "ITU601"
    width = max(1, round(frame.width * sample_aspect))
    height = frame.height
    if longest is not None:
        ratio = min(1.0, longest / max(width, height))
        width = max(2, round(width * ratio) // 2 * 2)
        height = max(2, round(height * ratio) // 2 * 2)
    rgb = frame.reformat(
        width=width,
        height=height,
        format="rgb24",
        src_colorspace=matrix,
        dst_colorspace=matrix,
        interpolation="AREA" if (width, height) != (frame.width, frame.height) else None,
    )
    image = rgb.to_image()
    counter_clockwise = round(float(getattr(frame, "rotation", 0) or 0)) % 360
    turn = _TURN.get(counter_clockwise)
    if turn is not None:
        image = image.transpose(turn)
    return image, (-counter_clockwise) % 360
