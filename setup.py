# For tools that still look for a setup.py. Every setting lives in pyproject.toml: keep this call empty.
from setuptools import setup

setup()
