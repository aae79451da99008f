import { createHash } from 'node:crypto';
import { CLUSTER_PAGE_SCRIPT } from './cluster-page.script';
import { CLUSTER_PAGE_STYLES } from './cluster-page.styles';

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page is static: what it shows arrives over `events`, so no request
 * data is ever written into this HTML. Works offline (no CDN, no fonts, no build).
 */
export const CLUSTER_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Gossip cluster</title>
<style>${CLUSTER_PAGE_STYLES}</style>
</head>
<body>
<header>
  <h1>Gossip cluster</h1>
  <span id="self" class="muted"></span>
  <span id="conn" class="conn">connecting…</span>
</header>
<main>
  <section class="totals" aria-label="totals">
    <div class="total"><b id="t-nodes">0</b><span>nodes</span></div>
    <div class="total alive"><b id="t-alive">0</b><span>alive</span></div>
    <div class="total unreachable"><b id="t-unreachable">0</b><span>unreachable</span></div>
    <div class="total left"><b id="t-left">0</b><span>left</span></div>
    <div class="total"><b id="t-entries">0</b><span>entries</span></div>
    <div class="total"><b id="t-in">–</b><span>packets/s in</span></div>
    <div class="total"><b id="t-out">–</b><span>packets/s out</span></div>
    <div class="total"><b id="t-rejected">0</b><span>rejected</span></div>
  </section>
  <section class="panel">
    <h2>Traffic and events, last minute</h2>
    <canvas id="chart" aria-label="packets and events per second"></canvas>
    <div class="legend"><span class="in"><i></i>packets in /s</span><span class="out"><i></i>packets out /s</span><span class="ev"><i></i>events /s</span></div>
  </section>
  <section class="controls">
    <input id="search" type="search" placeholder="Filter by node id, address, key or value" aria-label="filter">
    <label><input id="show-deleted" type="checkbox"> show tombstones</label>
  </section>
  <section id="nodes" class="nodes" aria-label="nodes"></section>
  <section class="panel">
    <h2>Recent events</h2>
    <ol id="log" class="log"></ol>
  </section>
</main>
<script>${CLUSTER_PAGE_SCRIPT}</script>
</body>
</html>
`;

/**
 * Only the page's own script and style run (by hash); it may talk to its
 * own origin only (the events stream). A value that slipped past the
 * escaping still could not run or load anything.
 */
export const CLUSTER_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(CLUSTER_PAGE_SCRIPT)}`,
  `style-src ${sha256(CLUSTER_PAGE_STYLES)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
