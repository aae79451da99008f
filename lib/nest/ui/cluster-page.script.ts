/**
 * The cluster page's script (inlined; allowed by hash in the page's CSP).
 * Plain ES2017 for any browser, no dependencies. Everything that comes from
 * the cluster is untrusted (entries are whatever the nodes publish): it is
 * put on the page with `textContent` and `setAttribute` only, never parsed
 * as HTML.
 */
export const CLUSTER_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var MAX_LOG = 100, CHART_POINTS = 60, MAX_SHOWN = 300;
  var nodes = new Map();
  var self = '';
  var clockOffset = 0;
  var samples = [];
  var lastStats = null;
  var log = [];
  var dirty = true;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clip(s) { s = String(s); return s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN) + '\u2026' : s; }
  function now() { return Date.now() + clockOffset; }

  function eventsUrl() {
    var path = location.pathname.replace(/\/+$/, '');
    return /\/ui$/.test(path) ? path.replace(/\/ui$/, '/events') : 'events';
  }

  function apply(update) {
    var node = nodes.get(update.id);
    if (!node || update.full) { node = { entries: new Map() }; nodes.set(update.id, node); }
    node.id = update.id;
    node.addr = update.addr;
    node.version = update.version;
    node.status = update.status;
    node.expiry = update.expiry ? Date.parse(update.expiry) : null;
    for (var i = 0; i < update.entries.length; i++) node.entries.set(update.entries[i].key, update.entries[i]);
    dirty = true;
  }

  function record(type, data) {
    log.unshift({ at: data.at || Date.now(), type: type, data: data });
    if (log.length > MAX_LOG) log.length = MAX_LOG;
    renderLog();
  }

  function matches(node, entry, query) {
    if (!query) return true;
    if (node.id.toLowerCase().indexOf(query) >= 0 || String(node.addr).toLowerCase().indexOf(query) >= 0) return true;
    if (!entry) return false;
    return entry.key.toLowerCase().indexOf(query) >= 0 || entry.value.toLowerCase().indexOf(query) >= 0;
  }

  function renderNodes() {
    var query = $('search').value.trim().toLowerCase();
    var showDeleted = $('show-deleted').checked;
    var ids = Array.from(nodes.keys()).sort(function (a, b) {
      if (a === self) return -1;
      if (b === self) return 1;
      return a < b ? -1 : a > b ? 1 : 0;
    });
    var list = document.createDocumentFragment();
    var counts = { pending: 0, alive: 0, unreachable: 0, left: 0 };
    var total = 0;
    ids.forEach(function (id) {
      var node = nodes.get(id);
      counts[node.status]++;
      var entries = Array.from(node.entries.values()).sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; });
      var live = entries.filter(function (e) { return !e.deleted; });
      total += live.length;
      var nodeHit = matches(node, null, query);
      var shown = entries.filter(function (e) { return (showDeleted || !e.deleted) && (nodeHit || matches(node, e, query)); });
      if (query && !nodeHit && shown.length === 0) return;

      var card = el('article', 'node ' + node.status);
      card.setAttribute('data-node-id', node.id);
      card.setAttribute('data-status', node.status);
      var title = el('h3');
      title.appendChild(el('span', 'id', node.id));
      title.appendChild(el('span', 'badge ' + node.status, node.status));
      if (node.id === self) title.appendChild(el('span', 'self', 'this node'));
      card.appendChild(title);
      var meta = el('div', 'meta');
      meta.appendChild(el('span', 'addr', node.addr));
      meta.appendChild(el('span', 'version', 'version ' + node.version));
      meta.appendChild(el('span', 'count', live.length + (live.length === 1 ? ' entry' : ' entries')));
      if (node.expiry) {
        var left = Math.max(0, Math.round((node.expiry - now()) / 1000));
        meta.appendChild(el('span', 'expiry', 'dropped in ' + left + ' s'));
      }
      card.appendChild(meta);
      if (shown.length) {
        var table = el('table');
        shown.forEach(function (e) {
          var row = el('tr', e.deleted ? 'deleted' : '');
          row.setAttribute('data-key', e.key);
          var key = el('td', 'key', clip(e.key));
          var value = el('td', 'value', e.deleted ? '(deleted)' : clip(e.value));
          value.title = e.deleted ? '' : clip(e.value);
          row.appendChild(key);
          row.appendChild(value);
          row.appendChild(el('td', 'version', e.version));
          table.appendChild(row);
        });
        card.appendChild(table);
      } else {
        card.appendChild(el('div', 'empty', entries.length ? 'no entry matches' : 'no entries'));
      }
      list.appendChild(card);
    });
    $('nodes').replaceChildren(list);
    $('t-nodes').textContent = String(nodes.size);
    $('t-alive').textContent = String(counts.alive);
    $('t-unreachable').textContent = String(counts.unreachable);
    $('t-left').textContent = String(counts.left);
    $('t-entries').textContent = String(total);
    dirty = false;
  }

  function describe(item) {
    var d = item.data;
    if (item.type === 'upsert-key') return d.nodeId + ' ' + clip(d.key) + ' = ' + clip(d.value);
    if (item.type === 'delete-key') return d.nodeId + ' ' + clip(d.key);
    return d.nodeId;
  }

  function renderLog() {
    var list = document.createDocumentFragment();
    log.forEach(function (item) {
      var li = el('li');
      li.setAttribute('data-type', item.type);
      li.appendChild(el('span', 't', new Date(item.at).toLocaleTimeString()));
      li.appendChild(el('span', 'ty', item.type));
      li.appendChild(el('span', 'what', describe(item)));
      list.appendChild(li);
    });
    $('log').replaceChildren(list);
  }

  function addSample(s) {
    if (lastStats) {
      var dt = Math.max(0.001, (s.at - lastStats.at) / 1000);
      samples.push({
        pin: Math.max(0, s.packetsIn - lastStats.packetsIn) / dt,
        pout: Math.max(0, s.packetsOut - lastStats.packetsOut) / dt,
        ev: s.events / dt,
      });
      if (samples.length > CHART_POINTS) samples.shift();
    }
    lastStats = s;
  }

  function showRates() {
    if (samples.length) {
      $('t-in').textContent = samples[samples.length - 1].pin.toFixed(0);
      $('t-out').textContent = samples[samples.length - 1].pout.toFixed(0);
    }
    if (lastStats) $('t-rejected').textContent = String(lastStats.rejected);
    drawChart();
  }

  function onStats(s) {
    clockOffset = s.at - Date.now();
    addSample(s);
    showRates();
  }

  function drawChart() {
    var canvas = $('chart');
    var ratio = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
    var g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    var max = 1;
    samples.forEach(function (p) { max = Math.max(max, p.pin, p.pout, p.ev); });
    var step = w / (CHART_POINTS - 1);
    var x0 = w - (samples.length - 1) * step;
    var y = function (v) { return h - 14 - (v / max) * (h - 24); };
    var css = getComputedStyle(document.documentElement);
    g.strokeStyle = '#eaeef2';
    g.fillStyle = '#656d76';
    g.font = '11px system-ui, sans-serif';
    g.beginPath(); g.moveTo(0, y(max)); g.lineTo(w, y(max)); g.moveTo(0, y(0)); g.lineTo(w, y(0)); g.stroke();
    g.fillText(max.toFixed(0) + ' /s', 4, y(max) - 2);
    g.fillStyle = css.getPropertyValue('--ev');
    samples.forEach(function (p, i) { var top = y(p.ev); g.fillRect(x0 + i * step - 2, top, 4, y(0) - top); });
    ['pin', 'pout'].forEach(function (field) {
      g.strokeStyle = css.getPropertyValue(field === 'pin' ? '--in' : '--out');
      g.lineWidth = 2;
      g.beginPath();
      samples.forEach(function (p, i) { var px = x0 + i * step; if (i) g.lineTo(px, y(p[field])); else g.moveTo(px, y(p[field])); });
      g.stroke();
    });
  }

  function connect() {
    var conn = $('conn');
    var source = new EventSource(eventsUrl());
    source.onopen = function () { conn.textContent = 'live'; conn.className = 'conn live'; };
    source.onerror = function () { conn.textContent = 'reconnecting\u2026'; conn.className = 'conn down'; };
    source.addEventListener('snapshot', function (m) {
      var snap = JSON.parse(m.data);
      self = snap.self;
      clockOffset = snap.at - Date.now();
      nodes.clear();
      snap.nodes.forEach(apply);
      samples = [];
      lastStats = null;
      snap.history.forEach(addSample);
      log.length = 0;
      (snap.events || []).forEach(function (e) { record(e.type, e); });
      showRates();
      $('self').textContent = 'seen from ' + self;
      document.title = 'Gossip cluster \u00b7 ' + self;
      renderNodes();
    });
    source.addEventListener('node', function (m) { apply(JSON.parse(m.data)); });
    source.addEventListener('gone', function (m) { nodes.delete(JSON.parse(m.data).id); dirty = true; });
    source.addEventListener('stats', function (m) { onStats(JSON.parse(m.data)); });
    ['join', 'leave', 'reachable', 'unreachable', 'upsert-key', 'delete-key', 'expired'].forEach(function (type) {
      source.addEventListener(type, function (m) { record(type, JSON.parse(m.data)); });
    });
  }

  $('search').addEventListener('input', function () { dirty = true; });
  $('show-deleted').addEventListener('change', function () { dirty = true; });
  setInterval(function () { if (dirty) renderNodes(); }, 100);
  // Expiry countdowns move on their own.
  setInterval(function () { if (Array.from(nodes.values()).some(function (n) { return n.expiry; })) dirty = true; }, 1000);
  window.addEventListener('resize', drawChart);
  connect();
})();
`;
