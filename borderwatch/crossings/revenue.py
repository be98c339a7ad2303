"""Revenue integrity: where duty that was assessed is not collected, and who is behind the gap.

Lives here: `revenue_table()` (transits, expected vs collected duty and the gap by any grouping),
`find_leaks()` (after-hours shortfalls, after-hours revenue that does not follow after-hours
traffic, officers whose collection rate is an outlier among their peers, sudden drops found as
change points) returning `Finding`s ranked by revenue lost, `collection_by_hour()`,
`after_hours_profile()`, `plot_revenue()` (PNG) and `export()`. The analytics run in DuckDB
over an Arrow table of transits with at least the columns crossing, day, hour, shift, officer,
expected_duty, duty_collected. May import DuckDB, NumPy, pyarrow, matplotlib (inside
`plot_revenue()` only) and `crossings.register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

MIN_TRANSITS = 30  # fewer transits than this in a group say nothing about its collection rate
RATE_DROP = 0.10  # a collection rate this far below the baseline is a finding


@dataclass(frozen=True, slots=True)
class Finding:
    """One revenue-integrity finding: what, where, how much duty it cost, and the evidence."""

    kind: str  # night_shift | officer | drop | after_hours_share
    crossing: str
    subject: str  # the shift, officer or date range
    lost: float  # duty assessed but not collected beyond the baseline, in the tariff currency
    rate: float  # collection rate of the subject
    baseline: float  # collection rate it is compared with
    detail: str


def _con(transits: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("transits", transits)
    return con


def revenue_table(transits: pa.Table, by: tuple[str, ...] = ("crossing",)) -> pa.Table:
    """Transits, expected and collected duty, gap and collection rate per group, largest gap first."""
    allowed = {"crossing", "shift", "officer", "day", "hour", "direction", "hs_code", "origin"}
    bad = [b for b in by if b not in allowed]
    if bad:
        raise ValueError(f"cannot group by {bad}; choose from {sorted(allowed)}")
    cols = ", ".join(f"CAST({b} AS VARCHAR) AS {b}" if b != "hour" and b != "day" else b for b in by)
    keys = ", ".join(str(i + 1) for i in range(len(by)))
    sql = f"""
        SELECT {cols}, count(*) AS transits, sum(expected_duty) AS expected, sum(duty_collected) AS collected,
               sum(expected_duty) - sum(duty_collected) AS gap,
               sum(duty_collected) / nullif(sum(expected_duty), 0) AS rate
        FROM transits GROUP BY {keys} ORDER BY gap DESC"""
    return _con(transits).sql(sql).to_arrow_table()


def find_leaks(transits: pa.Table) -> list[Finding]:
    """Every finding, the most duty lost first."""
    con = _con(transits)
    findings = _after_hours(con) + _officers(con) + _drops(con) + _after_hours_share(con)
    return sorted(findings, key=lambda f: -f.lost)


def collection_by_hour(transits: pa.Table) -> pa.Table:
    """Transits, expected and collected duty and the collection rate per crossing and hour of day."""
    return (
        _con(transits)
        .sql("""
        SELECT CAST(crossing AS VARCHAR) AS crossing, CAST(hour AS INTEGER) AS hour, count(*) AS transits,
               sum(expected_duty) AS expected, sum(duty_collected) AS collected,
               sum(duty_collected) / nullif(sum(expected_duty), 0) AS rate
        FROM transits GROUP BY 1, 2 ORDER BY 1, 2""")
        .to_arrow_table()
    )


def after_hours_profile(transits: pa.Table, baseline_days: int = 7) -> pa.Table:
    """Per crossing: the share of its traffic and of its collected duty after 18:00, over the whole
    span and over its first `baseline_days` days (its own baseline), beside the median of its peers
    (the other crossings with after-hours traffic)."""
    return _con(transits).sql(_PROFILE_SQL.format(baseline_days=baseline_days)).to_arrow_table()


_PROFILE_SQL = """
    WITH c AS (
      SELECT CAST(crossing AS VARCHAR) AS crossing, count(*) AS transits,
             avg(CASE WHEN shift = 'night' THEN 1.0 ELSE 0.0 END) AS traffic_share,
             sum(CASE WHEN shift = 'night' THEN duty_collected ELSE 0 END) / nullif(sum(duty_collected), 0)
               AS revenue_share,
             avg(CASE WHEN shift = 'night' THEN 1.0 ELSE 0.0 END)
               FILTER (WHERE day < (SELECT min(day) FROM transits) + {baseline_days}) AS baseline_traffic_share,
             sum(CASE WHEN shift = 'night' THEN duty_collected ELSE 0 END)
               FILTER (WHERE day < (SELECT min(day) FROM transits) + {baseline_days})
               / nullif(sum(duty_collected) FILTER (WHERE day < (SELECT min(day) FROM transits) + {baseline_days}), 0)
               AS baseline_revenue_share
      FROM transits GROUP BY 1)
    SELECT c.*,
           (SELECT median(p.traffic_share) FROM c p WHERE p.crossing <> c.crossing AND p.traffic_share > 0.01)
             AS peer_traffic_share,
           (SELECT median(p.revenue_share / p.traffic_share) FROM c p
             WHERE p.crossing <> c.crossing AND p.traffic_share > 0.01) AS peer_revenue_per_traffic
    FROM c ORDER BY crossing"""


def _after_hours_share(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Crossings whose after-hours revenue does not follow their after-hours traffic, as it does at
    their peers. An indicator beside the night-shift finding: its money is counted there (lost 0)."""
    rows = con.execute(_PROFILE_SQL.format(baseline_days=7)).fetchall()
    out = []
    for crossing, n, traffic, revenue, base_traffic, base_revenue, peer_traffic, peer_ratio in rows:
        if n < MIN_TRANSITS or traffic < 0.05 or revenue is None or peer_ratio is None:
            continue
        ratio = revenue / traffic
        if ratio < peer_ratio - 2.5 * RATE_DROP:
            out.append(
                Finding(
                    "after_hours_share",
                    crossing,
                    "after 18:00",
                    0.0,
                    ratio,
                    peer_ratio,
                    f"{traffic:.0%} of the traffic but {revenue:.0%} of the duty collected is after 18:00 "
                    f"(first week: {base_traffic or 0:.0%} and {base_revenue or 0:.0%}); at the peers "
                    f"({peer_traffic or 0:.0%} of traffic after 18:00) revenue follows traffic "
                    f"({peer_ratio:.2f} per share)",
                )
            )
    return out


def plot_revenue(transits: pa.Table, findings: list[Finding], path: str | Path, top: int = 8) -> Path:
    """A PNG for a supervisor: collection rate by hour (crossings with findings drawn in colour, the
    others grey) and the duty lost per finding."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_hour = collection_by_hour(transits).to_pylist()
    flagged = list(dict.fromkeys(f.crossing for f in findings))
    fig, (ax_hour, ax_lost) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 2]})
    for crossing in sorted({r["crossing"] for r in by_hour}):
        rows = [r for r in by_hour if r["crossing"] == crossing and r["rate"] is not None]
        hours, rates = [r["hour"] for r in rows], [r["rate"] for r in rows]
        if crossing in flagged:
            ax_hour.plot(hours, rates, marker="o", lw=2, label=crossing)
        else:
            ax_hour.plot(hours, rates, color="0.75", lw=1)
    ax_hour.axvspan(18, 23.5, color="0.93")
    ax_hour.axvspan(-0.5, 6, color="0.93")
    ax_hour.set(xlabel="hour of day", ylabel="duty collected / assessed", xlim=(-0.5, 23.5), ylim=(0, 1.05))
    ax_hour.set_title("Collection rate by hour (grey: crossings without findings; shaded: after hours)")
    if flagged:
        ax_hour.legend(loc="lower left")
    money = [f for f in findings if f.lost > 0][:top]
    labels = [f"{f.kind}: {f.subject if f.kind == 'officer' else f.crossing}" for f in money]
    ax_lost.barh(labels[::-1], [f.lost / 1e6 for f in money][::-1], color="tab:red")
    ax_lost.set(xlabel="duty lost (million)", title="Findings, most duty lost first")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _after_hours(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Night collection rate against the crossing's own day rate and against the peers' night rate."""
    rows = con.execute(f"""
        WITH s AS (
          SELECT CAST(crossing AS VARCHAR) AS crossing, CAST(shift AS VARCHAR) AS shift, count(*) AS n,
                 sum(expected_duty) AS expected, sum(duty_collected) AS collected
          FROM transits GROUP BY 1, 2)
        SELECT d.crossing, n.n, n.expected, n.collected, n.collected / nullif(n.expected, 0) AS night_rate,
               d.collected / nullif(d.expected, 0) AS day_rate, n.n / (n.n + d.n) AS night_share,
               (SELECT sum(collected) / sum(expected) FROM s WHERE shift = 'night' AND crossing <> d.crossing)
        FROM s d JOIN s n ON d.crossing = n.crossing AND d.shift = 'day' AND n.shift = 'night'
        WHERE n.n >= {MIN_TRANSITS} AND n.expected > 0""").fetchall()
    out = []
    for crossing, n, expected, _collected, night_rate, day_rate, share, peer_rate in rows:
        baseline = day_rate if peer_rate is None else max(day_rate, peer_rate) if day_rate else peer_rate
        if night_rate is not None and baseline and night_rate < baseline - RATE_DROP:
            out.append(
                Finding(
                    "night_shift",
                    crossing,
                    "night (18:00-06:00)",
                    expected * (baseline - night_rate),
                    night_rate,
                    baseline,
                    f"{n} night transits ({share:.0%} of traffic) collected {night_rate:.0%} of the "
                    f"duty assessed; the day shift collected {day_rate:.0%}, other crossings' night "
                    f"shifts {peer_rate or 0:.0%}",
                )
            )
    return out


def _officers(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Officers whose collection rate per assessed duty is an outlier among their shift colleagues."""
    rows = con.execute(f"""
        WITH o AS (
          SELECT CAST(crossing AS VARCHAR) AS crossing, CAST(shift AS VARCHAR) AS shift,
                 CAST(officer AS VARCHAR) AS officer, count(*) AS n, sum(expected_duty) AS expected,
                 sum(duty_collected) / nullif(sum(expected_duty), 0) AS rate
          FROM transits GROUP BY 1, 2, 3 HAVING count(*) >= {MIN_TRANSITS} AND sum(expected_duty) > 0),
        m AS (SELECT crossing, shift, median(rate) AS med, median(abs(rate - 0)) AS _x, count(*) AS k
              FROM o GROUP BY 1, 2)
        SELECT o.crossing, o.shift, o.officer, o.n, o.expected, o.rate, m.med,
               (SELECT median(abs(o2.rate - m.med)) FROM o o2 WHERE o2.crossing = o.crossing
                AND o2.shift = o.shift) AS mad, m.k
        FROM o JOIN m USING (crossing, shift)""").fetchall()
    out = []
    for crossing, shift, officer, n, expected, rate, med, mad, k in rows:
        if k < 3:
            continue  # no peers to compare with
        if rate < med - max(RATE_DROP, 5 * 1.4826 * (mad or 0.0)):
            out.append(
                Finding(
                    "officer",
                    crossing,
                    f"{crossing}/{officer}",
                    expected * (med - rate),
                    rate,
                    med,
                    f"officer {officer} ({shift} shift, {n} transits) collected {rate:.0%} of the duty "
                    f"assessed; the median of the {k} officers on that shift is {med:.0%}",
                )
            )
    return out


def _drops(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """The one change point per crossing that best splits its daily collection rate, if it is a drop."""
    rows = con.execute("""
        SELECT CAST(crossing AS VARCHAR), day, sum(expected_duty), sum(duty_collected)
        FROM transits GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()
    series: dict[str, list[tuple[int, float, float]]] = {}
    for crossing, day, expected, collected in rows:
        series.setdefault(crossing, []).append((day, expected, collected))
    out = []
    for crossing, points in series.items():
        if len(points) < 8:
            continue
        days = np.array([p[0] for p in points])
        exp = np.array([p[1] for p in points], dtype=float)
        col = np.array([p[2] for p in points], dtype=float)
        rate = col / np.maximum(exp, 1.0)
        best_t, best_stat = 0, 0.0
        for t in range(3, len(rate) - 2):
            before, after = rate[:t], rate[t:]
            spread = np.sqrt(before.var() / len(before) + after.var() / len(after)) + 1e-9
            stat = (before.mean() - after.mean()) / spread
            if stat > best_stat:
                best_t, best_stat = t, stat
        if best_t == 0:
            continue
        before_rate = col[:best_t].sum() / exp[:best_t].sum()
        after_rate = col[best_t:].sum() / exp[best_t:].sum()
        if best_stat > 6 and after_rate < before_rate - RATE_DROP:
            lost = exp[best_t:].sum() * (before_rate - after_rate)
            out.append(
                Finding(
                    "drop",
                    crossing,
                    f"from day {int(days[best_t])}",
                    lost,
                    after_rate,
                    before_rate,
                    f"daily collection fell from {before_rate:.0%} to {after_rate:.0%} on day "
                    f"{int(days[best_t])} and stayed there (t = {best_stat:.1f})",
                )
            )
    return out


def export(table: pa.Table, path: str | Path) -> Path:
    """Write a table as CSV or Parquet, by the file's suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    elif path.suffix == ".csv":
        pacsv.write_csv(table, path)
    else:
        raise ValueError(f"{path}: export writes .csv or .parquet")
    return path
