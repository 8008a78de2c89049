"""The SQL a run list page runs, its plans and its time alone on the database.

The statements are captured as the Store issues them (page 2, so the keyset condition of a page
token is in them) and explained and timed on a separate connection.
"""

import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from headrace.store import Store
from headrace.store.records import ListQuery

TIMED_REPEAT = 5


@dataclass(frozen=True)
class Plan:
    page: str
    count: str
    page_ms: float
    count_ms: float


def explain(url: str, query: Callable[..., ListQuery], experiment_id: str | None) -> Plan:
    """The plans and times of page 2 (page_size 20) of `query` and of its total_size count."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    with Store.connect(url, migrate=False) as store:
        token = store.list_runs_page(query(20), experiment_id).next_page_token
        event.listen(Engine, "before_cursor_execute", capture)
        try:
            store.list_runs_page(query(20, token), experiment_id)
        finally:
            event.remove(Engine, "before_cursor_execute", capture)
    # list_runs_page counts first, then reads the page.
    count, page = captured[0], captured[-1]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return Plan(
                page=_summary(_plan(conn, *page)),
                count=_summary(_plan(conn, *count)),
                page_ms=_time(conn, *page),
                count_ms=_time(conn, *count),
            )
    finally:
        engine.dispose()


def _plan(conn: Connection, statement: str, parameters: Any) -> list[str]:
    sqlite = conn.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    lines = [str(row[-1]) if sqlite else str(row[0]) for row in rows]
    print(f"plan: {' | '.join(line.strip() for line in lines)}", file=sys.stderr)
    return lines


def _time(conn: Connection, statement: str, parameters: Any) -> float:
    conn.exec_driver_sql(statement, parameters).all()  # warm the cache
    seconds = []
    for _ in range(TIMED_REPEAT):
        started = time.perf_counter()
        conn.exec_driver_sql(statement, parameters).all()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def _summary(lines: list[str]) -> str:
    """The indexes a plan uses, and whether it scans the table, filters or sorts."""
    parts: list[str] = []
    for line in lines:
        sqlite = re.search(r"(SEARCH|SCAN) runs USING (?:COVERING )?INDEX (\w+)", line)
        postgres = re.search(r"(?:Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)", line)
        if sqlite:
            kind = "range" if sqlite.group(1) == "SEARCH" else "full index scan"
            covering = ", covering" if "COVERING" in line else ""
            parts.append(f"`{sqlite.group(2)}` ({kind}{covering})")
        elif postgres:
            parts.append(f"`{postgres.group(1)}`")
        elif re.search(r"SCAN runs$|Seq Scan on runs", line):
            parts.append("full table scan")
        if "TEMP B-TREE" in line or re.search(r"(^|-> +)(Incremental )?Sort\b", line.strip()):
            parts.append("sort")
        if line.strip().startswith("Filter:"):
            parts.append("filter")
    return " + ".join(dict.fromkeys(parts)) or "?"
