"""Check a hand derivation written in LaTeX: a verdict for every step.

``check_text(document, net, notation)`` and ``check_file(path)`` return a :class:`Report`; its
``steps`` hold one :class:`Verdict` per step (``valid`` with how, ``invalid`` with a
counterexample and a hint, ``unreadable`` with why and where), ``exit_status`` is the CLI's.

>>> text = r"$$\\frac{\\partial C}{\\partial b^l_j} = -\\delta^l_j$$"
>>> report = check_text(text, network([2, 3, 2]))
>>> report.steps[0].verdict, report.steps[0].hint
('invalid', 'sign error')

Rooms: :mod:`.split` (document -> steps), :mod:`.tokens` and :mod:`.grammar` (the notation
pre-pass), :mod:`.parse` (the one adapter around the latex2sympy2_extended backend),
:mod:`.truth` and :mod:`.evaluate` (values on the network), :mod:`.verdict`, :mod:`.hints`,
:mod:`.render` (print a reading back), :mod:`.report`.
"""

from symbp.check.report import NothingToCheck, Report, check_file, check_text
from symbp.check.verdict import Verdict
from symbp.model import network

__all__ = ["NothingToCheck", "Report", "Verdict", "check_file", "check_text", "network"]
