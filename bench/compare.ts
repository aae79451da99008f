/**
 * One side-by-side table per N: our figures, memberlist's from the same run,
 * the ratio ours/theirs, and the target issue 10 sets for that row.
 */
import type { MemberlistResult } from './memberlist';

/** The figures both systems are compared on; null = did not happen in time. */
export interface Figures {
  /** Every join call, one after another (or all at once with `--joins all`), in total. */
  joinCallsMs: number | null;
  joinMs: number | null;
  /** Update reaches every other node, worst of the trials. */
  updateMs: number | null;
  /** Crash: every survivor marks it (ours unreachable, memberlist suspect or dead). */
  crashMs: number | null;
  /** Graceful leave seen by every survivor, worst of the trials. */
  leaveMs: number | null;
  udpBytesPerNodePerSec: number;
  tcpBytesPerNodePerSec: number;
  cpuPercent: number;
  rssMiB: number;
  /** Nodes wrongly reported down during the steady window. */
  falseUnreachable: number;
  notes: Partial<Record<RowKey, string>>;
}

type RowKey =
  | 'calls'
  | 'join'
  | 'update'
  | 'crash'
  | 'leave'
  | 'udp'
  | 'tcp'
  | 'bytes'
  | 'cpu'
  | 'rss'
  | 'false';

const orNull = (ms: number | undefined) => (ms === undefined || ms < 0 ? null : ms);

export function memberlistFigures(r: MemberlistResult): Figures {
  const updates = r.update_all_ms ?? [];
  const leaves = (r.leave ?? []).map((l) => l.all_ms);
  return {
    joinCallsMs: orNull(r.join_calls_ms),
    joinMs: orNull(r.join_converged_ms),
    updateMs: updates.length && updates.every((x) => x >= 0) ? Math.max(...updates) : null,
    crashMs: orNull(r.fail_suspect_or_dead?.all_ms),
    leaveMs: leaves.length && leaves.every((x) => x >= 0) ? Math.max(...leaves) : null,
    udpBytesPerNodePerSec: r.udp_bytes_per_node_sec,
    tcpBytesPerNodePerSec: r.tcp_bytes_per_node_sec,
    cpuPercent: r.cpu_percent_of_one_core,
    rssMiB: r.rss_mib,
    falseUnreachable: r.steady_false_suspect_logs,
    notes: {
      join:
        r.join_converged_ms < 0 ? `timed out; all at ${r.join_eventual_ms ?? -1} ms` : undefined,
      crash: `suspect; dead ${secs(orNull(r.fail_dead?.all_ms))}`,
      false: `suspect logs; ${r.steady_false_dead_logs} dead`,
      bytes: `window ${r.steady_window_s.toFixed(0)} s`,
    },
  };
}

interface Target {
  text: string;
  met: (ours: number | null, ratio: number | null) => boolean;
}

const atMost = (limit: number) => (v: number | null) => v !== null && v <= limit;

/** The targets of issues 10 and 17 (join, CPU, RSS); most are stated for N = 100. */
function targetsFor(n: number, ourBytesAt100?: number): Partial<Record<RowKey, Target>> {
  const zero: Target = { text: '0', met: atMost(0) };
  if (n === 100) {
    return {
      join: { text: '<= 1.2 s', met: atMost(1200) },
      update: { text: '<= 0.3 s', met: atMost(300) },
      crash: { text: '<= 1.0 s', met: atMost(1000) },
      leave: { text: '<= 0.15 s', met: atMost(150) },
      bytes: { text: '<= 2x theirs', met: (_, ratio) => atMost(2)(ratio) },
      cpu: { text: '<= 12%', met: atMost(12) },
      rss: { text: '<= 150 MiB', met: atMost(150) },
      false: zero,
    };
  }
  if (n === 200) {
    return {
      join: { text: '<= 5 s', met: atMost(5000) },
      bytes:
        ourBytesAt100 === undefined
          ? undefined
          : {
              text: `<= 1.2x ours@100 (${Math.round(1.2 * ourBytesAt100)})`,
              met: atMost(1.2 * ourBytesAt100),
            },
      false: zero,
    };
  }
  return {};
}

function secs(ms: number | null): string {
  return ms === null ? 'timeout' : `${(ms / 1000).toFixed(2)} s`;
}

export function comparisonTable(
  n: number,
  preset: string,
  ours: Figures,
  theirs: Figures,
  ourBytesAt100?: number,
): string {
  const bytes = (f: Figures) => f.udpBytesPerNodePerSec + f.tcpBytesPerNodePerSec;
  const int = (v: number | null) => (v === null ? '-' : Math.round(v).toLocaleString('en'));
  const rows: [RowKey, string, (f: Figures) => number | null, (v: number | null) => string][] = [
    ['calls', 'join calls, in total', (f) => f.joinCallsMs, secs],
    ['join', 'join, all see all', (f) => f.joinMs, secs],
    ['update', 'update reaches all (max of 5)', (f) => f.updateMs, secs],
    ['crash', 'crash: all mark it unreachable', (f) => f.crashMs, secs],
    ['leave', 'leave seen by all (worst of 3)', (f) => f.leaveMs, secs],
    ['udp', 'steady UDP bytes sent /node/s', (f) => f.udpBytesPerNodePerSec, int],
    ['tcp', 'steady TCP bytes sent /node/s', (f) => f.tcpBytesPerNodePerSec, int],
    ['bytes', 'steady UDP+TCP bytes /node/s', bytes, int],
    ['cpu', 'process CPU, % of one core', (f) => f.cpuPercent, (v) => (v ?? 0).toFixed(1)],
    ['rss', 'RSS of the process, MiB', (f) => f.rssMiB, int],
    ['false', 'false unreachable (steady)', (f) => f.falseUnreachable, int],
  ];
  const targets = targetsFor(n, ourBytesAt100);
  const header = ['N = ' + n, 'ours', `memberlist ${preset}`, 'ours/theirs', 'target', 'met'];
  const table = rows.map(([key, label, pick, fmt]) => {
    const a = pick(ours);
    const b = pick(theirs);
    const ratio = a !== null && b !== null && b > 0 ? a / b : null;
    const target = targets[key];
    const withNote = (text: string, note?: string) => (note ? `${text} (${note})` : text);
    return [
      label,
      withNote(fmt(a), ours.notes[key]),
      withNote(fmt(b), theirs.notes[key]),
      ratio === null ? '-' : ratio.toFixed(2),
      target?.text ?? '',
      target ? (target.met(a, ratio) ? 'yes' : 'NO') : '',
    ];
  });
  const all = [header, ...table];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.map(line)].join('\n');
}
