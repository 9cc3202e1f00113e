"""The one table of audio content types by file extension: what the archive stores a recording
as and what the STT clients declare when they upload one."""

from pathlib import PurePosixPath

CONTENT_TYPES = {
    ".wav": "audio/wav",
    ".wave": "audio/wav",
    ".mp3": "audio/mpeg",
    ".mpeg": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".flac": "audio/flac",
    ".webm": "audio/webm",
    ".amr": "audio/amr",
}
# the extensions the audio archive names its files with (one per content type it keeps)
ARCHIVE_EXTENSIONS = (".wav", ".mp3", ".ogg", ".m4a", ".flac", ".webm")
# content types as providers and servers spell them -> the archive's extension
EXTENSION_OF = {CONTENT_TYPES[ext]: ext for ext in ARCHIVE_EXTENSIONS} | {
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/mp3": ".mp3",
    "audio/x-m4a": ".m4a",
}
UNKNOWN = "application/octet-stream"


def content_type_for(filename: str) -> str:
    """The Content-Type for a recording's extension; `application/octet-stream` for anything
    else (the provider then sniffs the bytes itself)."""
    return CONTENT_TYPES.get(PurePosixPath(filename).suffix.lower(), UNKNOWN)
