"""Running wrk (Debian's wrk) and reading its report (bench-check)."""

import re
import subprocess
from pathlib import Path


def run_wrk(
    port: int,
    seconds: float,
    connections: int,
    script: Path | None,
    url_path: str,
    threads: int,
) -> tuple[float, str]:
    """Requests/s of wrk against 127.0.0.1:port, and wrk's report."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(seconds)}s",
        "--latency",
        f"http://127.0.0.1:{port}{url_path}",
    ]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    return rate, out


def wrk_errors(out: str) -> str:
    """wrk's own count of failed or non-2xx/3xx answers ('' when there were none)."""
    found = [
        line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line
    ]
    return "; ".join(found)
