"""``symbp serve``: the local web page and JSON API (needs ``pip install -e '.[web]'``)."""

from __future__ import annotations

import argparse

from symbp.errors import SymbpError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the check, derive and compile pages and the JSON API on this machine",
        description="Start a web server for the pages /derive, /check, /compile and the API "
        "POST /api/check and POST /api/derive. It listens on 127.0.0.1 unless --host says "
        "otherwise.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: one per CPU, at least 2)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="per check request (default 30; a derive gets three times as long)",
    )
    parser.add_argument(
        "--memory-mib",
        type=int,
        default=2048,
        metavar="MIB",
        help="memory cap of one worker (default 2048)",
    )
    parser.add_argument(
        "--queue",
        type=int,
        default=20,
        metavar="N",
        help="jobs that may wait per worker while every worker is busy; one more gets 503 "
        "with Retry-After (default 20)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from symbp.web.app import Limits, create_app
    except ImportError as error:
        raise SymbpError(
            f"symbp serve needs the web extra ({error.name} is missing): pip install 'symbp[web]'"
        ) from None
    if not 0 < args.port < 65536:
        raise SymbpError(f"--port must be between 1 and 65535, got {args.port}")
    if args.workers is not None and args.workers < 1:
        raise SymbpError(f"--workers must be at least 1, got {args.workers}")
    if args.time_limit <= 0 or args.memory_mib < 256:
        raise SymbpError("--time-limit must be > 0 and --memory-mib at least 256")
    if args.queue < 0:
        raise SymbpError(f"--queue must be at least 0, got {args.queue}")
    limits = Limits(args.workers, args.time_limit, 3 * args.time_limit, args.memory_mib, args.queue)
    app = create_app(limits)
    print(f"symbp serve: http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
