"""The localization corpus (see build.py); imported by bench/localize.py and the tests."""
