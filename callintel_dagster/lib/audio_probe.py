"""How long a recording is, read from its header before anything is sent anywhere.

WAV is read with the standard library; other containers (mp3, ogg, m4a) with PyAV, which ships
with faster-whisper. None when the length cannot be told (the provider then decides).
"""

import io
import wave


def duration_s(data: bytes) -> float | None:
    if data[:4] == b"RIFF":
        try:
            with wave.open(io.BytesIO(data)) as w:
                return w.getnframes() / float(w.getframerate())
        except (wave.Error, EOFError, ZeroDivisionError):
            pass  # e.g. u-law WAV, which the standard library does not read: ask PyAV
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(io.BytesIO(data)) as container:
            if container.duration is not None:
                return container.duration / 1_000_000  # microseconds (av.time_base)
    except Exception:  # noqa: BLE001 - any decoder error just means the length is unknown
        return None
    return None
