"""``--net`` specs: a space-separated list of layers, read by a small grammar of its own (no eval).

Grammar::

    net   := layer+
    layer := NAME [ "(" [ arg ("," arg)* ] ")" ]
    arg   := NAME "=" value | value
    value := INTEGER | NAME | NAME "(" ... ")"      (a nested layer, as in residual(dense(4,tanh)))

>>> [layer.spec() for layer in parse_net("conv2d(8,3,relu) maxpool2d(2) flatten dense(10,softmax)")]
['conv2d(8,3,relu)', 'maxpool2d(2)', 'flatten', 'dense(10,softmax)']
>>> parse_net("conv3d(8,3)")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbp.errors.SpecError: unknown layer 'conv3d'; known: attention, avgpool1d, ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symbp.activations import get_activation
from symbp.errors import SpecError
from symbp.layers.attention import Attention
from symbp.layers.base import LayerKind
from symbp.layers.conv import Conv
from symbp.layers.dense import Dense
from symbp.layers.lstm import Lstm
from symbp.layers.norm import BatchNorm, LayerNorm
from symbp.layers.pool import MeanPool, Pool
from symbp.layers.recurrent import Rnn
from symbp.layers.reshape import Flatten, Last
from symbp.layers.residual import Residual
from symbp.registry import Registry

_TOKEN = re.compile(r"\s*(?:(?P<int>\d+)|(?P<name>[A-Za-z_][A-Za-z_0-9.]*)|(?P<punct>[(),=]))")
MAX_SPEC = 2000


@dataclass(frozen=True)
class Call:
    """A parsed ``name(args...)``: positional values and keyword values (ints, names, calls)."""

    name: str
    args: tuple[object, ...] = ()
    keywords: tuple[tuple[str, object], ...] = ()


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if match is None:
                raise SpecError(f"cannot read the net spec at {text[pos : pos + 12]!r}; {_HELP}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            shown = "the end" if token is None else repr(token[1])
            raise SpecError(f"net spec: expected {value or kind} but found {shown}; {_HELP}")
        self.at += 1
        return token[1]

    def call(self) -> Call:
        name = self.take("name")
        if self.peek() != ("punct", "("):
            return Call(name)
        self.take("punct", "(")
        args: list[object] = []
        keywords: list[tuple[str, object]] = []
        while self.peek() != ("punct", ")"):
            if args or keywords:
                self.take("punct", ",")
            token = self.peek()
            if token is not None and token[0] == "name" and self._next_is("="):
                key = self.take("name")
                self.take("punct", "=")
                keywords.append((key, self.value()))
            elif keywords:
                raise SpecError(f"net spec: {name}: a positional argument after a keyword")
            else:
                args.append(self.value())
        self.take("punct", ")")
        return Call(name, tuple(args), tuple(keywords))

    def _next_is(self, punct: str) -> bool:
        return self.at + 1 < len(self.tokens) and self.tokens[self.at + 1] == ("punct", punct)

    def value(self) -> object:
        token = self.peek()
        if token is not None and token[0] == "int":
            self.at += 1
            return int(token[1])
        return self.call()


def _int(call: Call, value: object, what: str, least: int = 1) -> int:
    if not isinstance(value, int) or value < least:
        raise SpecError(f"{call.name}: {what} must be an integer >= {least}, got {_shown(value)}")
    return value


def _act(call: Call, value: object) -> object:
    if not isinstance(value, Call) or value.args or value.keywords:
        raise SpecError(f"{call.name}: the activation must be a name, got {_shown(value)}")
    return get_activation(value.name)


def _shown(value: object) -> str:
    return value.name if isinstance(value, Call) else repr(value)


def _bind(call: Call, names: tuple[str, ...], needed: int, defaults: dict[str, object]) -> dict:
    signature = f"{call.name}({', '.join(names)})"
    if len(call.args) > len(names) or len(call.args) < needed and not call.keywords:
        raise SpecError(f"{signature} takes {needed}..{len(names)} arguments, got {call.args}")
    bound = dict(zip(names, call.args, strict=False))
    for key, value in call.keywords:
        if key not in names or key in bound:
            raise SpecError(f"{signature}: unknown or repeated argument {key!r}")
        bound[key] = value
    for key in names[:needed]:
        if key not in bound:
            raise SpecError(f"{signature}: missing {key}")
    return {**defaults, **bound}


def _dense(call: Call) -> Dense:
    b = _bind(call, ("n", "act"), 1, {"act": Call("identity")})
    return Dense(_int(call, b["n"], "n"), _act(call, b["act"]))


def _conv(dims: int):
    def build(call: Call) -> Conv:
        names = ("c_out", "k", "act", "stride", "padding")
        b = _bind(call, names, 2, {"act": Call("identity"), "stride": 1, "padding": 0})
        return Conv(
            dims, _int(call, b["c_out"], "c_out"), _int(call, b["k"], "the kernel size k"),
            _act(call, b["act"]), _int(call, b["stride"], "stride"),
            _int(call, b["padding"], "padding", least=0),
        )  # fmt: skip

    return build


def _pool(dims: int, mode: str):
    def build(call: Call) -> Pool:
        b = _bind(call, ("k",), 1, {})
        return Pool(dims, mode, _int(call, b["k"], "the window k"))

    return build


def _plain(kind: type[LayerKind]):
    def build(call: Call) -> LayerKind:
        if call.args or call.keywords:
            raise SpecError(f"{call.name} takes no arguments")
        return kind()

    return build


def _residual(call: Call) -> Residual:
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], Call):
        raise SpecError(
            "residual takes one layer: residual(dense(n, act)), residual(layernorm) or "
            "residual(attention(d))"
        )
    inner = build_layer(call.args[0])
    if not isinstance(inner, Dense | LayerNorm | Attention):
        raise SpecError(
            f"residual wraps a dense or layernorm layer (or attention(d)), got {inner.kind}"
        )
    return Residual(inner)


def _attention(call: Call) -> Attention:
    b = _bind(call, ("d_k",), 1, {})
    return Attention(_int(call, b["d_k"], "d_k"))


def _rnn(call: Call) -> Rnn:
    b = _bind(call, ("n", "act"), 1, {"act": Call("tanh")})
    return Rnn(_int(call, b["n"], "n"), _act(call, b["act"]))


def _lstm(call: Call) -> Lstm:
    b = _bind(call, ("n",), 1, {})
    return Lstm(_int(call, b["n"], "n"))


LAYERS: Registry = Registry("layer")
for _name, _builder in [
    ("dense", _dense), ("conv1d", _conv(1)), ("conv2d", _conv(2)),
    ("maxpool1d", _pool(1, "max")), ("maxpool2d", _pool(2, "max")),
    ("avgpool1d", _pool(1, "avg")), ("avgpool2d", _pool(2, "avg")),
    ("flatten", _plain(Flatten)), ("last", _plain(Last)),
    ("residual", _residual), ("rnn", _rnn), ("meanpool", _plain(MeanPool)),
    ("layernorm", _plain(LayerNorm)), ("batchnorm", _plain(BatchNorm)),
    ("lstm", _lstm), ("attention", _attention),
]:  # fmt: skip
    LAYERS.register(_name, _builder)

_HELP = "write layers such as " + " ".join(
    ["dense(10,softmax)", "conv2d(8,3,relu,stride=1,padding=0)", "maxpool2d(2)", "flatten"]
)


def build_layer(call: Call) -> LayerKind:
    """The layer kind for one parsed call (unknown names list the registered layers)."""
    return LAYERS.get(call.name)(call)


def parse_net(text: str) -> list[LayerKind]:
    """Read a ``--net`` spec into layer kinds; one SpecError line for anything malformed."""
    if len(text) > MAX_SPEC:
        raise SpecError(f"the net spec is longer than {MAX_SPEC} characters")
    reader = _Reader(text)
    layers = []
    while reader.peek() is not None:
        layers.append(build_layer(reader.call()))
    if not layers:
        raise SpecError(f"the net spec is empty; {_HELP}")
    return layers


def parse_shape(text: str) -> tuple[int, ...]:
    """``--input`` as ``64`` or ``1x8x8`` (C x H x W), ``2x9`` (C x L), ``4x3`` (T x d).

    >>> parse_shape("1x8x8")
    (1, 8, 8)
    """
    parts = text.strip().lower().split("x")
    if not 1 <= len(parts) <= 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise SpecError(f"cannot read input shape {text!r}; write sizes >= 1 like 64, 1x8x8 or 4x3")
    return tuple(int(p) for p in parts)
