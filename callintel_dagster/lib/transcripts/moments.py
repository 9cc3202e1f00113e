"""A moment in a call as people read it: `mm:ss` (minutes past 59 keep counting), `--:--` when
the transcript has no timestamps (text sources give none)."""

UNTIMED = "--:--"


def mm_ss(seconds: float | None) -> str:
    if seconds is None:
        return UNTIMED
    total = int(round(seconds))
    return f"{total // 60:02d}:{total % 60:02d}"
