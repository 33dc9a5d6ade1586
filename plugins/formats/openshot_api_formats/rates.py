"""Frame rates and SMPTE timecode, shared by the EDL and Final Cut Pro XML writers."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

#: Nominal rates whose NTSC (x 1000/1001) variant editors call 23.976, 29.97 and 59.94.
_NTSC_BASES = (24, 30, 48, 60, 120)


@dataclass(frozen=True)
class Rate:
    """An exact frame rate ``num / den`` frames per second."""

    num: int
    den: int

    @classmethod
    def from_fps(cls, fps) -> "Rate":
        """Build a rate from ``{"num", "den"}`` (the project dict's form) or a number.

        Rates within 0.01 of an NTSC rate (29.97, 2997/100, 30000/1001 ...) become exactly
        ``N*1000/1001``, the rate editors expect. Raises ValueError for a missing or non-positive rate.
        """
        if isinstance(fps, dict):
            try:
                value = Fraction(int(fps["num"]), int(fps["den"]))
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                raise ValueError(f"fps must be {{'num': N, 'den': D}}, got {fps!r}") from None
        else:
            try:
                value = Fraction(fps).limit_denominator(1001)
            except (TypeError, ValueError, OverflowError):  # OverflowError: infinity
                raise ValueError(f"fps must be a number, got {fps!r}") from None
        if value <= 0:
            raise ValueError(f"fps must be positive, got {fps!r}")
        for base in _NTSC_BASES:
            ntsc = Fraction(base * 1000, 1001)
            if value != base and abs(value - ntsc) < Fraction(1, 100):
                return cls(ntsc.numerator, ntsc.denominator)
        return cls(value.numerator, value.denominator)

    @property
    def fps(self) -> float:
        """The rate as a float (for OpenTimelineIO, which keeps rates as doubles)."""
        return self.num / self.den

    @property
    def timebase(self) -> int:
        """The whole number of frames a timecode second counts (30 for 29.97)."""
        return round(Fraction(self.num, self.den))

    @property
    def ntsc(self) -> bool:
        """True for the x 1000/1001 rates (23.976, 29.97, 59.94 ...)."""
        return self.den == 1001

    @property
    def drop_frame(self) -> bool:
        """True when timecode at this rate is written drop-frame (29.97 and 59.94)."""
        return self.ntsc and self.timebase % 30 == 0

    def frames(self, seconds: float) -> int:
        """The nearest whole frame number at ``seconds``."""
        return round(Fraction(seconds).limit_denominator(10**9) * self.num / self.den)

    def seconds(self, frames: int) -> float:
        """The time in seconds of frame number ``frames``."""
        return float(Fraction(frames * self.den, self.num))

    def timecode(self, frames: int) -> str:
        """SMPTE timecode of frame count ``frames``: ``HH:MM:SS:FF``, or ``HH:MM:SS;FF`` when the
        rate is drop-frame (frame numbers 0 and 1 of each minute but every tenth are skipped; 0-3
        at 59.94)."""
        if frames < 0:
            raise ValueError("timecode of a negative frame count")
        base = self.timebase
        if self.drop_frame:
            dropped = 2 * base // 30                  # 2 at 29.97, 4 at 59.94
            per_minute = base * 60 - dropped
            per_ten_minutes = base * 600 - dropped * 9
            tens, rest = divmod(frames, per_ten_minutes)
            frames += dropped * 9 * tens
            if rest > dropped:
                frames += dropped * ((rest - dropped) // per_minute)
        ff = frames % base
        total_seconds = frames // base
        hh, rest = divmod(total_seconds, 3600)
        mm, ss = divmod(rest, 60)
        separator = ";" if self.drop_frame else ":"
        return f"{hh % 24:02d}:{mm:02d}:{ss:02d}{separator}{ff:02d}"
