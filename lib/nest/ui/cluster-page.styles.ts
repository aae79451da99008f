/** The cluster page's stylesheet (inlined; allowed by hash in the page's CSP). */
export const CLUSTER_PAGE_STYLES = `
:root { --alive: #1a7f37; --unreachable: #cf222e; --left: #6e7781; --ink: #1f2328;
  --muted: #656d76; --line: #d0d7de; --bg: #f6f8fa; --card: #fff; --in: #0969da; --out: #8250df; --ev: #bc4c00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 12px; padding: 12px 20px; background: var(--card); border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; }
.muted { color: var(--muted); }
.conn { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #fff8c5; }
.conn.live { background: #dafbe1; color: var(--alive); }
.conn.down { background: #ffebe9; color: var(--unreachable); }
main { padding: 16px 20px; display: grid; gap: 16px; }
.totals { display: flex; flex-wrap: wrap; gap: 10px; }
.total { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.total b { display: block; font-size: 22px; }
.total span { color: var(--muted); font-size: 12px; }
.total.alive b { color: var(--alive); } .total.unreachable b { color: var(--unreachable); } .total.left b { color: var(--left); }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.panel h2 { font-size: 14px; margin: 0 0 8px; }
canvas { width: 100%; height: 140px; display: block; }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; }
.legend .in i { background: var(--in); } .legend .out i { background: var(--out); } .legend .ev i { background: var(--ev); height: 8px; }
.controls { display: flex; gap: 12px; align-items: center; }
.controls input[type=search] { flex: 1; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
.nodes { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
.node { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--alive); border-radius: 6px; padding: 10px 12px; }
.node.unreachable { border-left-color: var(--unreachable); background: #fff5f5; }
.node.left { border-left-color: var(--left); opacity: 0.75; }
.node.pending { border-left-color: var(--muted); border-left-style: dashed; }
.node h3 { margin: 0; font-size: 15px; display: flex; gap: 8px; align-items: center; overflow-wrap: anywhere; }
.badge { font-size: 11px; font-weight: 600; color: #fff; padding: 1px 7px; border-radius: 9px; background: var(--alive); }
.badge.unreachable { background: var(--unreachable); } .badge.left { background: var(--left); } .badge.pending { background: var(--muted); }
.self { font-size: 11px; color: var(--muted); border: 1px solid var(--line); border-radius: 9px; padding: 0 6px; }
.meta { font-size: 12px; color: var(--muted); margin: 4px 0 6px; display: flex; flex-wrap: wrap; gap: 10px; }
.expiry { color: var(--unreachable); }
table { width: 100%; border-collapse: collapse; font-size: 12px; table-layout: fixed; }
td { border-top: 1px solid #eaeef2; padding: 3px 4px; vertical-align: top; overflow-wrap: anywhere; }
td.key { width: 35%; font-family: ui-monospace, monospace; } td.value { font-family: ui-monospace, monospace; }
td.version { width: 48px; text-align: right; color: var(--muted); }
tr.deleted td { text-decoration: line-through; color: var(--muted); }
.log { list-style: none; margin: 0; padding: 0; font-size: 12px; font-family: ui-monospace, monospace; max-height: 220px; overflow: auto; }
.log li { padding: 2px 0; border-top: 1px solid #eaeef2; overflow-wrap: anywhere; }
.log .t { color: var(--muted); margin-right: 8px; } .log .ty { font-weight: 600; margin-right: 8px; }
.empty { color: var(--muted); font-style: italic; }
`;
