"""huntfeed: security reporting in, threat profiles and ready hunts out."""

__version__ = "0.1.0"
