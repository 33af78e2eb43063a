"""Readers of other comment systems' archives (Disqus XML, WordPress WXR, Isso) into one neutral shape."""
