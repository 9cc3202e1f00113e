"""How long a recording is, read from its header before anything is sent anywhere.

WAV through the standard library (PCM) or its RIFF chunks (mu-law, A-law, ...); other
containers (mp3, ogg, m4a) through PyAV, which ships with faster-whisper. None when the length
cannot be told (the provider then decides).
"""

import io
import struct
import wave


def duration_s(data: bytes) -> float | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(data), "rb") as w:
                if w.getframerate() > 0:
                    return w.getnframes() / w.getframerate()
        except (wave.Error, EOFError, struct.error, RuntimeError, ValueError, OverflowError):
            pass
        return _riff_duration(data)
    try:
        import av  # lazily: only needed for compressed formats
    except ImportError:
        return None
    try:
        with av.open(io.BytesIO(data)) as container:
            if container.duration:
                return container.duration / av.time_base
            stream = container.streams.audio[0] if container.streams.audio else None
            if stream is not None and stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except Exception:  # noqa: BLE001 - any decoding trouble: the duration is unknown
        return None
    return None


def _riff_duration(data: bytes) -> float | None:
    pos, byte_rate, data_size = 12, None, None
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if chunk_id == b"fmt " and size >= 16 and pos + 20 <= len(data):
            byte_rate = struct.unpack("<I", data[pos + 16 : pos + 20])[0]
        elif chunk_id == b"data":
            data_size = min(size, len(data) - pos - 8)
            break
        pos += 8 + size + (size & 1)
    if not byte_rate or data_size is None:
        return None
    return data_size / byte_rate
