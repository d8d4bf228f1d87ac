"""``symbp serve``: the checker, the writeups and the compiler as a local web page and a JSON API.

Rooms: :mod:`.app` (the routes, body limit and error answers), :mod:`.pool` (worker processes
under time and memory limits), :mod:`.jobs` (what a worker runs: the ``symbp`` command line
itself), :mod:`.forms` (request fields -> checked flags), :mod:`.pages` and :mod:`.html` (the
pages; writeup blocks as HTML for MathJax), ``templates/`` and ``static/`` (MathJax 3, served
from the package: the page works without internet).

Needs the ``web`` extra: ``pip install -e '.[web]'`` (Starlette and uvicorn).
"""
