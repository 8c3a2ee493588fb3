"""The browsable history: an article's facts through time (``history``), the pages
(``pages``), inline SVG charts (``charts``) and the live server (``serve``)."""
