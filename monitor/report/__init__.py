"""The browsable history: an article's facts through time (``history``), the pages
(``pages``), inline SVG charts (``charts``) and the live server (``serve``)."""

# seconds a `serve` client has to send its request, and for each read/write (here, not in
# serve.py: the command's --help shows it without importing the report's jinja2)
DEFAULT_TIMEOUT = 10.0
