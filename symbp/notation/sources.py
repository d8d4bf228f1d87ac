"""One :class:`Notation` per source: what differs between the sources, as data, and its registry.

symbp numbers layers as Wikipedia's matrix section does (the input is layer 0, ``W^l`` maps
layer l-1 to layer l). Every other way of writing a network (Ng's 1-based layers with his
``\\Theta^{(l)}`` from layer l to l+1 and the bias in column 0, Nielsen's 1-based layers,
UFLDL's ``n_l``) is a field of that source's object here, and the writer (:mod:`symbp.latex`)
and the checker (:mod:`symbp.check`) read the field, never the source's name. Adding a
notation is adding one object to :data:`REGISTRY`.

>>> NG.label(2, "weight"), NG.label(2, "act"), NG.layer(3, "act")
(2, 3, 2)
>>> get_notation("ng").cost_name("example", examples=True), NG.cost_name("mean")
('J^{(t)}', 'J')
>>> get_notation("wikipedia").hadamard_tex("cdot"), get_notation("nielsen").hadamard_tex()
('\\\\cdot', '\\\\odot')
>>> get_notation("gauss")
Traceback (most recent call last):
...
symbp.errors.SpecError: unknown notation 'gauss'; known: wikipedia, ng, nielsen, ufldl
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from symbp.errors import SpecError

PARAMETER_KINDS = frozenset({"weight", "bias", "W", "b", "Delta", "D", "accum", "meangrad"})
"""The quantities a weight matrix's layer label names (concrete names and generic kinds)."""

_NO_OPTIONS: Mapping[str, object] = MappingProxyType({})


def _no_options() -> Mapping:
    return _NO_OPTIONS


@dataclass(frozen=True, eq=False)
class Notation:
    """How one source writes a network. Layer numbers in and out are symbp's (input = 0).

    ``input_layer``: the number the source gives the input layer. ``parameters_read_label``:
    the source's weight matrix of label l maps layer l to l+1 (Ng's Theta, UFLDL's W), so
    parameters keep symbp's number while units shift by ``input_layer``. ``bias_column``: the
    bias is column 0 of the weight matrix (Ng's bias unit ``a_0 = 1``), so units are counted
    from 0 where the bias is meant. ``printer``: :class:`~symbp.latex.printer_styles.Style`
    fields of the generic printer, per Hadamard style in ``hadamard_printer``. ``cost``: the
    letter of one example's cost in the steps (UFLDL's J(W,b;x,y) is written C there);
    ``indexed_example_cost``: the source's letter names the mean, so one example's cost is
    indexed by its example t where a mean exists (Ng's J^{(t)}, his lectures' cost(t)).
    ``index_letters``: the row, column and summed index of a weight entry.
    """

    name: str
    title: str  # of a writeup: "Andrew Ng's notation"
    owner: str  # possessive: "Andrew Ng's"
    hadamard: Mapping[str, str]  # Hadamard style -> its TeX ("" where the source has one)
    concrete: bool = True  # sized networks and the checker know it (UFLDL: generic only)
    input_layer: int = 1
    parameters_read_label: bool = False
    parens: bool = False  # layer labels in parentheses: a^{(l)}
    entry_sup_first: bool = True  # a concrete entry as w^{l}_{jk} (Wikipedia: w_{jk}^{l})
    generic_sup_first: bool = False  # a generic entry as w^{l}_{jk} (Nielsen)
    bias_column: bool = False
    weight: str = "w"  # the letter of one weight (Ng: \Theta)
    matrix: Mapping[str, str] = field(default_factory=_no_options)  # generic kind -> letter
    activation: tuple[str, str] = ("f", "f'")  # templates, {l}: the layer label
    names_each_activation: bool = False  # a ReLU layer is ReLU, never the sigmoid's letter
    sigmoid_letter: str = ""  # the letter that means the sigmoid (Ng: g)
    notes: str = ""  # where that letter is defined, for the writeup's sentence
    setting_note: str = ""  # a sentence of the setting, {depth}: the output layer's label
    cost: str = "C"
    mean_cost: str = "J"  # the mean over m examples with its L2 term
    indexed_example_cost: bool = False
    width_letter: str = "n"  # a layer's width: n_l (Ng, UFLDL: s_l)
    output_width: str = ""  # the output layer's width where it has a name (Ng: K)
    output_layer: str = "L"  # the output layer's label (UFLDL: n_l)
    hypothesis: str = "g(x)"  # the network's output as a function
    examples_letter: str = "m"  # the number of examples (Nielsen: n)
    diagonal_derivative: str = ""  # the diagonal matrix of f'(z) (Nielsen: \Sigma')
    gradient_short: bool = False  # \nabla_a C for the output layer's gradient (Nielsen)
    shorthand_gradients: bool = False  # index-free dC/db = delta, dC/dw = a_in delta_out
    result_labels: Mapping[str, str] = field(default_factory=_no_options)  # BP1-BP4
    index_letters: tuple[str, str, str] = ("j", "k", "i")
    double_duty: frozenset[str] = frozenset()  # styles whose product symbol is also matmul
    revision: Mapping[str, str] = field(default_factory=_no_options)  # style -> which text
    shift_note: str = ""  # the checker's hint about the layer numbering
    printer: Mapping[str, object] = field(default_factory=_no_options)
    hadamard_printer: Mapping[str, Mapping[str, object]] = field(default_factory=_no_options)

    # layers ---------------------------------------------------------------------------------
    def shift(self, kind: str = "act") -> int:
        """What the source adds to symbp's layer number of a quantity of this kind."""
        if self.parameters_read_label and kind in PARAMETER_KINDS:
            return 0
        return self.input_layer

    def label(self, layer: int, kind: str = "act") -> int:
        """The number the source writes for symbp's layer ``layer`` of a ``kind``."""
        return layer + self.shift(kind)

    def layer(self, label: int, kind: str = "act") -> int:
        """symbp's layer of a quantity the source labels ``label`` (inverse of :meth:`label`)."""
        return label - self.shift(kind)

    @property
    def activation_has_layer(self) -> bool:
        """The activation's letter names each layer's own function (Wikipedia's f^{l})."""
        return "{l}" in self.activation[0]

    @property
    def first_unit(self) -> int:
        """The first unit index a sum or an instance runs from: 0 where column 0 is the bias."""
        return 0 if self.bias_column else 1

    # symbols --------------------------------------------------------------------------------
    @property
    def hadamard_styles(self) -> tuple[str, ...]:
        """The source's own choices of elementwise product (Wikipedia: circ, cdot), else ()."""
        return tuple(k for k in self.hadamard if k)

    def hadamard_style(self, style: str | None) -> str | None:
        """``style`` where the source has a choice of product symbol, else None."""
        if not self.hadamard_styles:
            return None
        return style or self.hadamard_styles[0]

    def hadamard_tex(self, style: str | None = None) -> str:
        """The source's elementwise product, in the revision ``style`` where it has several."""
        chosen = self.hadamard_style(style) or ""
        if chosen not in self.hadamard:
            known = ", ".join(sorted(self.hadamard_styles))
            raise SpecError(f"unknown Hadamard style {chosen!r}; known: {known}")
        return self.hadamard[chosen]

    def key(self, style: str | None = None) -> str:
        """``wikipedia-cdot``, ``ng``: the name of one revision of the source."""
        chosen = self.hadamard_style(style)
        return f"{self.name}-{chosen}" if chosen else self.name

    def full_title(self, style: str | None = None) -> str:
        """The title of a writeup, with the revision where the source has several."""
        chosen = self.hadamard_style(style)
        return f"{self.title} ({self.revision[chosen]})" if chosen else self.title

    def cost_name(self, scope: str = "example", examples: bool = False) -> str:
        """The cost's name in a scope: ``mean`` (the mean over m examples with its L2 term, J),
        ``term`` (example t's cost in that mean, C^{(t)}), ``example`` (the cost of the one
        example the steps differentiate: C; Ng's J is the mean, so where one exists, his
        one-example cost is J^{(t)}; ``examples``: a mean over examples exists)."""
        if scope == "mean":
            return self.mean_cost
        if scope == "term" or scope == "example" and examples and self.indexed_example_cost:
            return f"{self.cost}^{{(t)}}"
        if scope != "example":
            raise ValueError(f"unknown cost scope {scope!r}")
        return self.cost

    def printer_options(self, style: str | None = None) -> dict[str, object]:
        """The generic printer's :class:`Style` fields of the source (and revision)."""
        chosen = self.hadamard_style(style)
        return {**self.printer, **self.hadamard_printer.get(chosen or "", {})}


def _frozen(**items: object) -> Mapping[str, object]:
    return MappingProxyType(dict(items))


WIKIPEDIA = Notation(
    "wikipedia",
    "Wikipedia's matrix notation",
    "Wikipedia's",
    _frozen(circ="\\circ", cdot="\\cdot"),
    input_layer=0,
    entry_sup_first=False,
    matrix=_frozen(W="W"),
    activation=("f^{{{l}}}", "(f^{{{l}}})'"),
    double_duty=frozenset({"cdot"}),
    revision=_frozen(circ="today's article", cdot="the source note's images"),
    printer=_frozen(
        matmul="\\cdot",
        fprime_first=True,
        fprime_argument=False,
        paren_product_in_hadamard=False,
        weight_entry="w",
    ),
    hadamard_printer=_frozen(circ=_frozen(ellipsis="spaced"), cdot=_frozen(ellipsis="old")),
)
"""Wikipedia's matrix section: today's article (circ) and the source note's images (cdot)."""

NG = Notation(
    "ng",
    "Andrew Ng's notation",
    "Andrew Ng's",
    _frozen(**{"": "\\ .*\\ "}),
    parameters_read_label=True,
    parens=True,
    bias_column=True,
    weight="\\Theta",
    matrix=_frozen(W="\\Theta"),
    activation=("g", "g'"),
    names_each_activation=True,
    sigmoid_letter="g",
    notes="Ng's notes",
    cost="J",
    indexed_example_cost=True,
    width_letter="s",
    output_width="K",
    hypothesis="h_\\Theta(x)",
    shift_note=" (Ng numbers the input layer 1, and \\Theta^{(l)} maps layer l to layer l+1)",
    index_letters=("i", "j", "k"),
    printer=_frozen(cost="J", frac="\\dfrac", index_comma=True, learning_rate="\\alpha"),
)
"""Ng's Coursera notes and the CSDN post: Theta^{(l)} maps layer l to l+1, Octave's .*."""

NIELSEN = Notation(
    "nielsen",
    "Michael Nielsen's notation",
    "Nielsen's",
    _frozen(**{"": "\\odot"}),
    generic_sup_first=True,
    matrix=_frozen(W="w"),
    activation=("\\sigma", "\\sigma'"),
    names_each_activation=True,
    hypothesis="a^{L}(x)",
    examples_letter="n",
    diagonal_derivative="\\Sigma'",
    gradient_short=True,
    shorthand_gradients=True,
    result_labels=_frozen(delta_L="BP1", delta_recursion="BP2", grad_b="BP3", grad_W="BP4"),
    printer=_frozen(ellipsis="plain", ellipsis_tex="\\ldots", define="\\equiv"),
)
"""Nielsen's chapter 2: BP1-BP4, odot, Sigma'(z), the input as layer 1."""

UFLDL = Notation(
    "ufldl",
    "the UFLDL tutorial's notation",
    "the UFLDL tutorial's",
    _frozen(**{"": "\\circ"}),
    concrete=False,
    parameters_read_label=True,
    parens=True,
    weight="W",
    matrix=_frozen(W="W"),
    width_letter="s",
    index_letters=("i", "j", "k"),
    setting_note=(
        "As in the UFLDL tutorial, $f$ is the activation and $f'$ its derivative, "
        "$h_{{W,b}}(x) = a^{{({depth})}}$ is the network's output and "
        "$J(W,b;x,y)$ the cost of one example $(x, y)$, written $C$ in the steps below."
    ),
    output_layer="n_l",
    hypothesis="h_{W,b}(x)",
    printer=_frozen(
        matmul="\\cdot",
        cost="J(W,b;x,y)",
        operator_derivative=True,
        sum_bounds=True,
        sum_parens=True,
        output_layer="n_l",
    ),
)
"""The UFLDL tutorial (the source note's appendix): Ng's W^{(l)}, b^{(l)}, f; generic only."""

REGISTRY: Mapping[str, Notation] = MappingProxyType(
    {n.name: n for n in (WIKIPEDIA, NG, NIELSEN, UFLDL)}
)
"""Every notation by name, in the order the CLI lists them."""

NOTATIONS = tuple(n.name for n in REGISTRY.values() if n.concrete)
"""The notations of concrete networks (and of the checker)."""
GENERIC_NOTATIONS = tuple(REGISTRY)
"""Those, plus UFLDL's, which only the generic writeup knows."""
DEFAULT = WIKIPEDIA.name


def get_notation(name: str | Notation, concrete: bool = False) -> Notation:
    """The notation called ``name`` (``concrete``: one that concrete networks know).

    >>> get_notation("ufldl", concrete=True)
    Traceback (most recent call last):
    ...
    symbp.errors.SpecError: unknown notation 'ufldl'; known: wikipedia, ng, nielsen
    """
    if isinstance(name, Notation):
        return name
    known = NOTATIONS if concrete else GENERIC_NOTATIONS
    if name not in known:
        raise SpecError(f"unknown notation {name!r}; known: {', '.join(known)}")
    return REGISTRY[name]


def check_notation(notation: str) -> str:
    """``notation`` if concrete networks know it (one clear error line otherwise)."""
    return get_notation(notation, concrete=True).name


def check_generic_notation(name: str) -> str:
    """``name`` if the generic writeup knows it (one clear error line otherwise)."""
    return get_notation(name).name
