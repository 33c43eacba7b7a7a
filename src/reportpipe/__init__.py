"""reportpipe: Markdown and YAML content to accessible, print-ready PDF reports."""

__version__ = "0.1.0"
