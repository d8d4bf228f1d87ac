"""The HTML pages: ``/``, ``/derive``, ``/check``, ``/compile`` and the error page.

Pages are built from :mod:`string.Template` files in ``templates/`` and small functions; every
value that came with a request is escaped. The forms offer the command line's own choices.

>>> "symbp derive" in index()
True
>>> 'data-verdict="invalid"' in check({}, steps=[{"source": "a = b", "line": 1,
...     "verdict": "invalid", "method": None, "counterexample": None, "hint": "sign error"}])
True
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template
from urllib.parse import urlencode

from symbp.compile import DTYPES
from symbp.web import forms
from symbp.web.html import display, prose

_BASE = Template((Path(__file__).parent / "templates" / "base.html").read_text(encoding="utf-8"))


def _cli_defaults() -> dict[str, str]:
    """The command line's own defaults, for the empty choice of each field."""
    from symbp.cli import build_parser
    from symbp.flags import DEFAULTS

    parser = build_parser()
    found = {**vars(parser.parse_args(["derive"])), **vars(parser.parse_args(["compile"]))}
    found = {**found, **{k: v for k, v in DEFAULTS.items() if found.get(k) is None}}
    return {k: str(v) for k, v in found.items() if v is not None and not callable(v)}


_DEFAULTS = _cli_defaults()
_LABEL = {
    "l2": "L2 strength lambda",
    "examples": "examples m",
    "output": "output activation",
    "input": "input shape (with net)",
    "net": "or a layered network: net, one layer after another (with the input shape)",
}
_PLACEHOLDER = {
    "input": "e.g. 1x4x4",
    "net": "e.g. conv2d(2,3,relu) maxpool2d(2) flatten dense(2,softmax)",
}


def page(title: str, body: str) -> str:
    """A whole page around ``body`` (HTML), MathJax from the package.

    >>> 'src="/static/mathjax/tex-svg-full.js"' in page("t", "")
    True
    """
    return _BASE.substitute(title=html.escape(title), body=body)


def _field(name: str, values: dict, blank: str | None) -> str:
    """One labelled input; an empty one means the command line's default (or ``blank``)."""
    value = str(values.get(name, ""))
    label = html.escape(_LABEL.get(name, name))
    choices = forms.CHOICES.get(name) or (DTYPES if name == "dtype" else None)
    default = _DEFAULTS.get(name, "as hidden" if name == "output" else "")
    if choices is None:
        hint = html.escape(_PLACEHOLDER.get(name) or blank or default)
        wide = ' class="wide"' if name == "net" else ""
        return (
            f'<label{wide}>{label}<input name="{name}" value="{html.escape(value)}" '
            f'placeholder="{hint}"></label>'
        )
    empty = blank or f"default ({default})"
    options = [f'<option value="">{html.escape(empty)}</option>']
    for choice in choices:
        selected = " selected" if choice == value else ""
        options.append(f"<option{selected}>{html.escape(choice)}</option>")
    return f'<label>{label}<select name="{name}">{"".join(options)}</select></label>'


def _fields(names: tuple[str, ...], values: dict, blanks: dict[str, str]) -> str:
    return "\n".join(_field(n, values, blanks.get(n)) for n in names)


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""


def index() -> str:
    """What symbp does, and where to go."""
    body = """
<h1>symbp: backpropagation, derived</h1>
<p>symbp builds a network in SymPy, derives every gradient \\(\\partial C/\\partial w\\) and the
delta recursion by the chain rule, proves each one equal to direct differentiation of the
composed loss, and prints the derivation in the notation of Wikipedia, Andrew Ng or Michael
Nielsen. It also checks a derivation written by hand, step by step, and compiles the derived
gradients into a NumPy trainer.</p>
<ul>
<li><a href="/derive">Derive</a>: pick a network and a notation; read the writeup with its
picture; download it as Markdown or LaTeX (the same files as <code>symbp derive</code>).
For example <a href="/derive?layers=2,3,2&amp;notation=ng&amp;loss=bce&amp;output=sigmoid">a
2-3-2 network with the cross-entropy loss in Ng's notation</a>, or a layered network such as
<a href="/derive?input=1x4x4&amp;net=conv2d(2,3,relu)+maxpool2d(2)+flatten+dense(2,softmax)&amp;\
loss=cross-entropy">a small convolutional network</a> (the same as <code>symbp derive --input
SHAPE --net SPEC</code>).</li>
<li><a href="/check">Check</a>: paste your derivation in LaTeX; every step is marked valid,
invalid (with a counterexample and a hint) or unreadable (as <code>symbp check</code>).</li>
<li><a href="/compile">Compile</a>: download a NumPy trainer module for a network (as
<code>symbp compile</code>).</li>
</ul>
<h2>For programs</h2>
<p><code>POST /api/check</code> with <code>{"tex": "...", "flags": "--layers 2,3,2"}</code>
answers what <code>symbp check --json</code> prints; <code>POST /api/derive</code> with
<code>{"flags": "..."}</code> (or the fields <code>layers</code>, <code>notation</code>, ...)
answers what <code>symbp derive --format json</code> prints. Errors are
<code>{"error": "..."}</code> with a 4xx status.</p>
"""
    return page("symbp", body)


def derive(query: dict, result: dict | None = None, error: str | None = None) -> str:
    """The network form and, once asked, the writeup with its downloads.

    >>> "<option selected>ng</option>" in derive({"notation": "ng"})
    True
    """
    names = forms.DERIVE.values
    blanks: dict[str, str] = {}
    generic = " checked" if query.get("generic") not in (None, "", "0", "off") else ""
    form = f"""<form class="network" method="get" action="/derive">
{_fields(names, query, blanks)}
<label><span>any depth (generic)</span><input type="checkbox" name="generic"{generic}></label>
<div class="wide"><button type="submit">Derive</button></div>
</form>"""
    body = ["<h1>Derive</h1>", form, _error(error)]
    if result is not None:
        shared = {k: v for k, v in query.items() if k != "format" and v != ""}
        links = []
        if result.get("layered"):
            kinds = (("markdown", "Markdown"), ("latex", "LaTeX"), ("svg", "picture (SVG)"),
                     ("text", "derivation (text)"))  # fmt: skip
        else:
            kinds = (("markdown", "Markdown"), ("latex", "LaTeX"), ("svg", "picture (SVG)"))
        for fmt, text in kinds:
            href = "/derive/download?" + urlencode({**shared, "format": fmt})
            links.append(
                f'<a class="button" id="download-{fmt}" href="{html.escape(href)}">{text}</a>'
            )
        if result.get("layered"):
            compiled = {k: v for k, v in shared.items() if k in forms.COMPILE.values}
            href = "/compile/download?" + urlencode(compiled)
            links.append(
                f'<a class="button" id="download-trainer" href="{html.escape(href)}">trainer.py</a>'
            )
        body.append(f'<div class="downloads">Download: {" ".join(links)}</div>')
        body.append(
            f'<p>The same as <code class="command">{html.escape(result["command"])}</code></p>'
        )
        body.append(f'<article class="writeup">{result["html"]}</article>')
    return page("Derive", "\n".join(body))


def _counterexample(c: dict) -> str:
    parts = []
    if c.get("indices"):
        shown = ", ".join(f"{k} = {v}" for k, v in c["indices"].items())
        parts.append(f"at \\({html.escape(shown, quote=False)}\\)")
    if "left" in c:
        where = f" entry {tuple(c['entry'])}" if "entry" in c else ""
        parts.append(f"left{html.escape(where)} = {c['left']}, right = {c['right']}")
    if c.get("values"):
        shown = ", ".join(
            f"\\({html.escape(f'{k} = {v}', quote=False)}\\)" for k, v in c["values"].items()
        )
        parts.append(f"with {shown}")  # one formula a value, so that the line can wrap
    return '<div class="counterexample">Counterexample: ' + "; ".join(parts) + "</div>"


def _step(step: dict) -> str:
    verdict = html.escape(step["verdict"])
    details = [f"line {int(step['line'])}"]
    if step.get("method"):
        details.append(html.escape(step["method"]))
    extra = ""
    if step.get("counterexample"):
        extra += _counterexample(step["counterexample"])
    if step.get("hint"):
        extra += f'<div class="hint">Hint: {prose(step["hint"])}</div>'
    return (
        f'<li class="step" data-verdict="{verdict}">{display(step["source"])}'
        f'<div class="verdict">{verdict}</div>'
        f'<div class="details">{"; ".join(details)}{extra}</div></li>'
    )


def check(data: dict, steps: list[dict] | None = None, error: str | None = None) -> str:
    """The LaTeX form and, once checked, every step beside its verdict."""
    tex = html.escape(str(data.get("tex", "")))
    blanks = {n: f"{_DEFAULTS.get(n, 'as hidden')} or the header's" for n in forms.CHECK.values}
    example = "% symbp: --layers 2,3,2 --notation nielsen\n$$\\delta^L_j = ...$$"
    form = f"""<form class="network" method="post" action="/check">
<label class="wide"><span>Your derivation in LaTeX (<code>$$...$$</code>, <code>\\[...\\]</code> or
<code>align</code>; an optional first line <code>% symbp: --layers 2,3,2 --notation nielsen</code>
names the network)</span>
<textarea name="tex" placeholder="{html.escape(example)}">{tex}</textarea></label>
{_fields(forms.CHECK.values, data, blanks)}
<div class="wide"><button type="submit">Check</button></div>
</form>"""
    body = ["<h1>Check a derivation</h1>", form, _error(error)]
    if steps is not None:
        counts = {
            v: sum(s["verdict"] == v for s in steps) for v in ("valid", "invalid", "unreadable")
        }
        summary = ", ".join(f"{n} {v}" for v, n in counts.items())
        body.append(f'<h2>Steps</h2><p class="summary">{summary}</p>')
        body.append('<ol class="steps">' + "\n".join(_step(s) for s in steps) + "</ol>")
    return page("Check", "\n".join(body))


def compile_form(query: dict) -> str:
    """The network form whose button downloads the trainer module.

    >>> 'action="/compile/download"' in compile_form({})
    True
    """
    form = f"""<form class="network" method="get" action="/compile/download">
{_fields(forms.COMPILE.values, query, {})}
<div class="wide"><button type="submit" id="download-trainer">Download trainer.py</button></div>
</form>"""
    body = f"""<h1>Compile a trainer</h1>
<p>A module with <code>init_params</code>, <code>forward</code>, <code>loss</code>,
<code>gradients</code> and <code>step</code>, printed from the derivation for NumPy, JAX or
PyTorch (backend; JAX and PyTorch: dense networks): the same file as
<code>symbp compile ... --backend B -o trainer.py</code>.</p>
{form}"""
    return page("Compile", body)


def error(status: int, message: str) -> str:
    """A page that says what went wrong, in one line.

    >>> '<p class="error" role="alert">no &lt;b&gt;</p>' in error(400, "no <b>")
    True
    """
    return page(f"Error {status}", f"<h1>Error {status}</h1>{_error(message)}")
