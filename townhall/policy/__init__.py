"""The moderation core: policy file, normaliser, rules, classifiers and decisions.

Pure: no database, no HTTP, no clock or randomness except what callers pass in.
"""
