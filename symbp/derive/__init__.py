"""The heart of symbp: the chain rule turned into :class:`~symbp.derive.steps.Step` data.

``concrete`` derives sized networks unit by unit; ``generic`` derives any depth with symbolic
widths, from index notation to the matrix equations; ``proof`` shows the results equal direct
differentiation of the composed loss.
"""
