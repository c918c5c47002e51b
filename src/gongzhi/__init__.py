"""共治 gongzhi — Party-building-led urban grassroots governance."""

__version__ = "0.1.0"
