"""Peak memory and seconds of reading each hostile dump shape (issue 22).

Builds every shape an attacker with staff access could upload, then plans and
reads it in a fresh process (inspect + every phone value, as a worker's chunk
does) and prints that process's peak RSS, its seconds, and how the read ended:
the rows it read, or the reason it was refused. The child runs under an
address-space limit (--limit-mb), so a shape that escapes its bounds fails
with MemoryError here instead of taking the machine.

    .venv/bin/python bench/hostile.py            # every shape
    .venv/bin/python bench/hostile.py --only gz-bomb --only zip-bomb
"""

import argparse
import bz2
import gzip
import json
import lzma
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
BOMB_LINE = b"13800138000,zhang san,beijing,some repeated line of a bomb\n"


def _workbook(path: Path, strings: list[str], sheet: Callable[[], Iterator[str]]) -> None:
    """A minimal workbook: one sheet (the pieces of its <sheetData>) and its strings."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="13812340000" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        body = "".join(f"<si><t>{text}</t></si>" for text in strings)
        book.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{body}</sst>')
        with book.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for piece in sheet():
                part.write(piece.encode())
            part.write(b"</sheetData></worksheet>")


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx_amplified(path: Path, *, rows: int = 4, cells: int = 1500, string_kb: int = 1024) -> None:
    """Issue 22's workbook: every cell of a few rows points at one 1 MB shared string."""

    def sheet() -> Iterator[str]:
        for number in range(1, rows + 1):
            yield f'<row r="{number}">'
            for i in range(cells):
                yield f'<c r="{_column_letters(i)}{number}" t="s"><v>1</v></c>'
            yield "</row>"

    _workbook(path, ["手机号", "x" * (string_kb * 1024)], sheet)


def xlsx_inline(path: Path, *, rows: int = 4, cells: int = 1500, string_kb: int = 64) -> None:
    """Its neighbour: the long text written inline in every cell (no shared string)."""
    text = "y" * (string_kb * 1024)

    def sheet() -> Iterator[str]:
        for number in range(1, rows + 1):
            yield f'<row r="{number}">'
            for i in range(cells):
                cell = f'<c r="{_column_letters(i)}{number}" t="inlineStr">'
                yield f"{cell}<is><t>{text}</t></is></c>"
            yield "</row>"

    _workbook(path, [], sheet)


def json_keys(path: Path, *, records: int = 200, keys: int = 1000, shared: bool = False) -> None:
    """JSON lines of `records` records of `keys` keys each: all different (the
    issue's 203 s planning), or the same in every record (a wide, honest dump)."""
    with open(path, "w") as out:
        for record in range(records):
            base = 0 if shared else record * keys
            fields = {f"field_{base + i:07d}": f"v{i}" for i in range(keys)}
            fields["mobile"] = f"139{record:08d}"
            out.write(json.dumps(fields) + "\n")


def number_keyed_json(path: Path, *, records: int = 10, lines: bool = False) -> None:
    """Records keyed by their number, as one object or as one record a line."""
    entries = {
        f"1393610{i:04d}": {"mobile": f"1393610{i:04d}", "name": f"user {i}", "city": "北京"}
        for i in range(records)
    }
    if lines:
        text = "".join(json.dumps({key: value}) + "\n" for key, value in entries.items())
    else:
        text = json.dumps(entries, ensure_ascii=False, indent=2)
    path.write_text(text)


def number_named_member(path: Path, *, rows: int = 100) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        body = "".join(f"1381234{i:04d}\n" for i in range(rows))
        archive.writestr("13812340000.csv", body)


def json_deep_paths(path: Path, *, depth: int = 60, leaves: int = 20_000) -> None:
    """A 200 KB line whose leaves each sit under a 60-level path: flattened, every
    leaf repeats the path (a multiplication the line limit does not see)."""
    record: dict = {f"k{i}": 1 for i in range(leaves)}
    for _level in range(depth):
        record = {"abcdef": record}
    path.write_text(json.dumps(record) + "\n")


def honest(path: Path, kind: str, *, rows: int = 1_000_000) -> None:
    """An honest dump of `rows` distinct numbers with a name and a city, packed."""
    body = b"mobile,name,city\n" + b"".join(
        b"139%08d,user%d,beijing\n" % (i, i) for i in range(rows)
    )
    if kind == "gz":
        path.write_bytes(gzip.compress(body, 6))
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("members.csv", body)


def _block() -> bytes:
    return BOMB_LINE * (2**20 // len(BOMB_LINE))


def bomb(path: Path, kind: str, *, megabytes: int = 1024) -> None:
    """`megabytes` of one repeated line, packed as .gz, .bz2, .xz or one zip member.
    .gz, .bz2 and .xz are one packed megabyte repeated (several streams in a row,
    which their readers must accept); the zip member is one deflate stream."""
    block = _block()
    if kind in ("gz", "bz2", "xz"):
        packed = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](block)
        with open(path, "wb") as out:
            for _ in range(megabytes):
                out.write(packed)
        return
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("dump.csv", "w", force_zip64=True) as member,
    ):
        for _ in range(megabytes):
            member.write(block)


def _bomb(kind: str, megabytes: int) -> Callable[[Path], None]:
    return lambda path: bomb(path, kind, megabytes=megabytes)


SHAPES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "xlsx-shared-strings": ("amplified.xlsx", xlsx_amplified),
    "xlsx-shared-strings-20-rows": ("amplified20.xlsx", lambda p: xlsx_amplified(p, rows=20)),
    "xlsx-inline-strings": ("inline.xlsx", xlsx_inline),
    "xlsx-200-rows-of-600-kb": (
        "sample.xlsx",
        lambda p: xlsx_amplified(p, rows=200, cells=1, string_kb=600),
    ),
    "json-1000-keys-shared": ("wide.jsonl", lambda p: json_keys(p, keys=1000, shared=True)),
    "json-50k-distinct-keys": ("keys50k.jsonl", lambda p: json_keys(p, keys=250)),
    "json-200k-distinct-keys": ("keys200k.jsonl", lambda p: json_keys(p, keys=1000)),
    "json-deep-paths": ("deep.jsonl", json_deep_paths),
    "json-number-keyed-object": ("keyed.json", number_keyed_json),
    "json-number-keyed-lines": ("keyed.jsonl", lambda p: number_keyed_json(p, lines=True)),
    "zip-number-named-member": ("named.zip", number_named_member),
    "gz-bomb": ("bomb.csv.gz", _bomb("gz", 1024)),
    "bz2-bomb": ("bomb.csv.bz2", _bomb("bz2", 1024)),
    "xz-bomb": ("bomb.csv.xz", _bomb("xz", 1024)),
    "zip-bomb": ("bomb.zip", _bomb("zip", 1024)),
    "gz-honest-1m-rows": ("honest.csv.gz", lambda p: honest(p, "gz")),
    "zip-honest-1m-rows": ("honest.zip", lambda p: honest(p, "zip")),
}


def peak_rss_mb() -> int:
    """This process's peak resident set (VmHWM): unlike ru_maxrss, it starts again
    at exec, so a child does not report the peak of the process that started it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def measure(path: Path, limit_mb: int) -> dict:
    """Plan and read every value of `path` in this process; what it cost, as a dict."""
    if limit_mb:
        limit = limit_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachcheck.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "s" * 40)
    import django

    django.setup()
    from imports.readers import DumpError, inspect, iter_values
    from imports.readers.sources import PackedCounter

    start_rss = peak_rss_mb()
    start = time.monotonic()
    progress = PackedCounter()
    found: dict = {}
    rows = values = 0
    result: dict = {}
    try:
        plan = inspect(path)
        for value in iter_values(path, plan, progress=progress, found=found):
            rows += 1
            values += value is not None
        result["outcome"] = "read"
        result["plan"] = plan.without_header().as_dict() | {"found": found}
    except DumpError as exc:
        result["outcome"] = "refused"
        result["reason"] = str(exc)
    except MemoryError:
        result["outcome"] = "MemoryError"
        result["reason"] = f"over the {limit_mb} MB address-space limit"
    result.update(
        rows=rows,
        values=values,
        seconds=round(time.monotonic() - start, 2),
        peak_rss_mb=peak_rss_mb(),
        start_rss_mb=start_rss,
        unpacked_mb=round(progress.unpacked / 2**20, 1),
        packed_kb=round(progress.bytes / 1024, 1),
    )
    return result


def run_child(
    path: Path, *, limit_mb: int = 2048, timeout: float = 600, env: dict | None = None
) -> dict:
    """measure() in a fresh Python, so its peak RSS is the shape's alone."""
    command = [sys.executable, __file__, "--measure", str(path), "--limit-mb", str(limit_mb)]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "timeout", "seconds": timeout}
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return {"outcome": f"crashed ({done.returncode})", "reason": done.stderr[-500:]}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", choices=sorted(SHAPES))
    parser.add_argument("--limit-mb", type=int, default=2048)
    parser.add_argument("--timeout", type=float, default=600, help="seconds a shape may take")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.limit_mb)))
        return
    print(f"{'shape':30} {'file':>9} {'built s':>7} {'read s':>7} {'peak MB':>7}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for shape in args.only or SHAPES:
            name, build = SHAPES[shape]
            path = Path(folder) / name
            started = time.monotonic()
            build(path)
            built = time.monotonic() - started
            result = run_child(path, limit_mb=args.limit_mb, timeout=args.timeout)
            size = path.stat().st_size
            shown = f"{size / 2**20:.1f}M" if size >= 2**20 else f"{size / 1024:.1f}K"
            outcome = result["outcome"]
            if outcome == "read":
                outcome += f" {result['rows']} rows, {result['values']} values"
            if result.get("reason"):
                outcome += f": {result['reason']}"
            if result.get("unpacked_mb"):
                outcome += f" (unpacked {result['unpacked_mb']} MB from {result['packed_kb']} KB)"
            print(
                f"{shape:30} {shown:>9} {built:7.1f} {result.get('seconds', 0):7.2f} "
                f"{result.get('peak_rss_mb', 0):7}  {outcome}",
                flush=True,
            )
            path.unlink()


if __name__ == "__main__":
    main()
