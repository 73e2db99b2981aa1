#!/usr/bin/env python3
"""hitless-scenario's report: OUT/report.html from OUT/summary.json and the
per-second series (OUT/*.series.jsonl) a run wrote.

One self-contained page (plots embedded as PNG, readable offline): the
verdict table, then per second for each receiver delivered / lost /
repaired (retransmission, FEC) / late packets, the end-to-end buffer level,
and for the sender the bitrate it put on the wire split into media,
retransmissions and FEC, its RTT and its send budget.

Usage: scenario_report.py OUT_DIR      (exit 0 written, 1 failed, 2 usage)
"""
import base64
import glob
import html
import io
import json
import os
import sys


def load_series(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # a line cut by a kill: skip it
    return rows


def get(row, *keys, default=0.0):
    for k in keys:
        if not isinstance(row, dict) or k not in row:
            return default
        row = row[k]
    return row if isinstance(row, (int, float)) else default


def rates(rows, *keys):
    """Per-second differences of a cumulative counter (restarts: 0)."""
    xs, ys = [], []
    for prev, cur in zip(rows, rows[1:]):
        dt = get(cur, "elapsed_s") - get(prev, "elapsed_s")
        if dt <= 0:
            continue
        d = get(cur, *keys) - get(prev, *keys)
        xs.append(get(cur, "elapsed_s"))
        ys.append(max(d, 0) / dt)
    return xs, ys


def values(rows, *keys):
    return [get(r, "elapsed_s") for r in rows], [get(r, *keys) for r in rows]


def png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("scenario_report: python3-matplotlib is not installed "
              "(apt-get install python3-matplotlib)", file=sys.stderr)
        return 1
    try:
        with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"scenario_report: {out}/summary.json: {e}", file=sys.stderr)
        return 1

    images = []  # (title, base64 png)
    for path in sorted(glob.glob(os.path.join(out, "recv-*.series.jsonl"))):
        host = os.path.basename(path)[len("recv-"):-len(".series.jsonl")]
        rows = load_series(path)
        if len(rows) < 2:
            continue
        fig, (a, b) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
        for label, keys in [("delivered", ("receiver", "delivered")),
                            ("lost for good", ("receiver", "lost_at_deadline")),
                            ("repaired by retransmission",
                             ("receiver", "loss", "recovered_by_retransmission")),
                            ("repaired by FEC", ("receiver", "loss", "recovered_by_fec")),
                            ("late", ("receiver", "late")),
                            ("gaps seen (loss and reordering)", ("receiver", "loss", "gaps_detected"))]:
            x, y = rates(rows, *keys)
            if label == "delivered":
                b.plot(x, y, label=label, color="tab:green")
            else:
                a.plot(x, y, label=label)
        a.set_ylabel("packets/s")
        a.set_yscale("symlog", linthresh=1)
        a.legend(loc="upper right", fontsize=8)
        a.grid(alpha=0.3)
        b.set_ylabel("delivered packets/s")
        b.set_xlabel("seconds")
        b.grid(alpha=0.3)
        fig.suptitle(f"receiver {host}: what arrived, what was repaired, what was lost")
        images.append((f"receiver {host}", png(fig)))
        plt.close(fig)

        fig, a = plt.subplots(figsize=(10, 3))
        x, y = values(rows, "receiver", "buffer", "level_ms")
        a.plot(x, y, label="buffer level (ms)")
        x, y = values(rows, "receiver", "rtt_ms")
        a.plot(x, y, label="RTT (ms)")
        a.set_xlabel("seconds")
        a.legend(fontsize=8)
        a.grid(alpha=0.3)
        fig.suptitle(f"receiver {host}: buffer and round trip")
        images.append((f"receiver {host} buffer", png(fig)))
        plt.close(fig)

    send_rows = load_series(os.path.join(out, "send.series.jsonl")) \
        if os.path.exists(os.path.join(out, "send.series.jsonl")) else []
    if len(send_rows) >= 2:
        fig, (a, b) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
        x, media = rates(send_rows, "sender", "data_bytes")
        _, retx = rates(send_rows, "sender", "retransmitted_bytes")
        _, fec = rates(send_rows, "sender", "fec_bytes")
        _, wire = rates(send_rows, "socket", "bytes_out")
        mbit = lambda v: [8e-6 * y for y in v]
        a.stackplot(x, mbit(media), mbit(retx), mbit(fec),
                    labels=["media", "retransmissions", "FEC"], alpha=0.8)
        a.plot(x, mbit(wire), color="black", lw=1, label="on the wire (all paths)")
        x2, budget = values(send_rows, "sender", "budget", "send_budget_bps")
        a.plot(x2, [1e-6 * y for y in budget], ls="--", color="gray", label="send budget")
        a.set_ylabel("Mbit/s")
        a.legend(loc="upper right", fontsize=8)
        a.grid(alpha=0.3)
        x, y = values(send_rows, "sender", "rtt_ms")
        b.plot(x, y, label="smoothed RTT")
        x, y = values(send_rows, "sender", "loss_rate")
        b2 = b.twinx()
        b2.plot(x, [100 * v for v in y], color="tab:red", label="loss seen (%)")
        b.set_ylabel("RTT ms")
        b2.set_ylabel("loss %")
        b.set_xlabel("seconds")
        b.grid(alpha=0.3)
        fig.suptitle("sender: bitrate by kind, budget, RTT and loss")
        images.append(("sender", png(fig)))
        plt.close(fig)

    verdict_rows = "".join(
        f"<tr class={'ok' if v['pass'] else 'fail'}><td>{'ok' if v['pass'] else 'FAIL'}</td>"
        f"<td>{html.escape(v['expectation'])}</td><td>{html.escape(v['measured'])}</td></tr>"
        for v in summary.get("verdicts", []))
    problems = "".join(f"<li>{html.escape(p)}</li>" for p in summary.get("problems", []))
    verdict = "PASS" if summary.get("pass") else "FAIL"
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(summary.get('scenario', ''))}: {verdict}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}
.ok td:first-child{{color:green}}.fail td:first-child{{color:red;font-weight:bold}}</style>
</head><body>
<h1>{html.escape(summary.get('scenario', ''))}: {verdict}</h1>
<p>{html.escape(summary.get('description', ''))}<br>
file {html.escape(summary.get('file', ''))}, {summary.get('duration_s', 0):.0f} s</p>
<table><tr><th></th><th>expectation</th><th>measured</th></tr>{verdict_rows}</table>
{'<h2>Problems</h2><ul>' + problems + '</ul>' if problems else ''}
""" + "".join(f"<h2>{html.escape(t)}</h2><img src='data:image/png;base64,{b}'>"
              for t, b in images) + "</body></html>\n"
    with open(os.path.join(out, "report.html"), "w", encoding="utf-8") as f:
        f.write(page)
    print(f"report: {os.path.join(out, 'report.html')} ({len(images)} plots)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
