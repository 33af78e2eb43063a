"""Offline training of the shipped classifiers. Imported only by ``townhall train``; reads ../shared/data."""
