"""Wait until Muster answers, then say where it is and print the demo logins.

``make serve`` runs this beside the development server, so the address and the logins
come once, after the server's start-up lines, when the site really answers (not while
it is still loading). Standard library only: it does not import Django.

    python scripts/announce_demo.py [--url URL] [--logins FILE] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000/"
DEFAULT_LOGINS = Path(__file__).resolve().parent.parent / "var" / "demo-logins.txt"
HEALTH_PATH = "healthz"  # answers once the app and its database do


def answers(url: str, *, timeout: float = 2.0) -> bool:
    """True once ``url`` gives any HTTP answer below 500."""
    try:
        # (S310: main() accepts http(s) URLs only.) 2xx/3xx: no exception.
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310
            return True
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (urllib.error.URLError, OSError):  # not listening yet, or reset while starting
        return False


def wait_until_answers(
    url: str,
    *,
    timeout: float,
    interval: float = 0.5,
    clock=time.monotonic,
    sleep=time.sleep,
) -> bool:
    deadline = clock() + timeout
    while True:
        if answers(url):
            return True
        if clock() >= deadline:
            return False
        sleep(interval)


def announcement(url: str, logins_file: Path) -> str:
    lines = [f"Muster is running on {url} (Ctrl+C to stop)", ""]
    try:
        lines.append(logins_file.read_text(encoding="utf-8").rstrip("\n"))
    except FileNotFoundError:
        lines.append("No demo logins yet: `make demo` creates them.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--logins", type=Path, default=DEFAULT_LOGINS)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.error("--url must be an http(s) address")

    base = args.url if args.url.endswith("/") else args.url + "/"
    if not wait_until_answers(base + HEALTH_PATH, timeout=args.timeout):
        print(f"Muster did not answer at {base} within {args.timeout:g} s.", file=sys.stderr)
        return 1
    print("\n" + announcement(base, args.logins) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
