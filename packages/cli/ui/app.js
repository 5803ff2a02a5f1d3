// The lane map page of `lanes ui` (served by packages/cli/src/ui/server.ts). Plain ES modules, no build step:
// Preact renders, htm gives it JSX-like templates. Data: GET /api/map, live updates from /api/events (SSE),
// traces from /api/trace. Read-only: nothing here changes a lane.

import htm from 'htm';
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const html = htm.bind(h);

/** `45s`, `12m`, `3h`, `2d` since an ISO time. */
function age(iso) {
  if (!iso) return '-';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '-';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** `in 3h`, `expired 2d ago`. */
function expiry(iso) {
  if (!iso) return undefined;
  const ms = Date.parse(iso) - Date.now();
  const span = (x) => age(new Date(Date.now() - Math.abs(x)).toISOString());
  return ms >= 0 ? `expires in ${span(ms)}` : `expired ${span(ms)} ago`;
}

function health(cell) {
  if (cell.state === 'serving' && cell.healthy > 0 && cell.running >= cell.desired) return 'ok';
  if (cell.state === 'failed' || (cell.state === 'serving' && cell.healthy === 0)) return 'bad';
  return 'busy';
}

function Cell({ cell }) {
  if (!cell) return html`<td class="cell empty" data-empty="true">—</td>`;
  const exp = expiry(cell.expiresAt);
  return html`<td class=${`cell ${health(cell)}`} data-service=${cell.service} data-lane=${cell.lane} data-state=${cell.state}>
    <div class="version" title=${cell.branch ? `branch ${cell.branch}` : ''}>${cell.version ?? '-'}</div>
    <div class="state">${cell.state}${cell.detail ? ` (${cell.detail})` : ''}</div>
    <div class="facts">
      <span title="running / desired">${cell.running}/${cell.desired} running</span>
      <span title="healthy targets">${cell.healthy} healthy</span>
      <span title="age">${age(cell.createdAt)}</span>
    </div>
    ${
      cell.owner || exp || cell.costPerDay !== undefined
        ? html`<div class="facts">
          ${cell.owner ? html`<span>${cell.owner}</span>` : null}
          ${exp ? html`<span>${exp}</span>` : null}
          ${cell.costPerDay !== undefined ? html`<span>$${cell.costPerDay.toFixed(2)}/day</span>` : null}
        </div>`
        : null
    }
  </td>`;
}

function Matrix({ map }) {
  const find = (service, lane) => map.cells.find((c) => c.service === service && c.lane === lane);
  return html`<table class="matrix" id="matrix">
    <thead>
      <tr>
        <th>service</th>
        ${map.lanes.map((l) => html`<th data-lane-head=${l}>${l}${l === map.baselineLane ? ' (baseline)' : ''}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${map.services.map(
        (s) => html`<tr data-row=${s.name}>
          <th>${s.name}</th>
          ${map.lanes.map((l) => html`<${Cell} cell=${find(s.name, l)} />`)}
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Depth of each service from the entry points (services nobody calls), for the graph's columns. */
function layers(services) {
  const called = new Set(services.flatMap((s) => s.dependsOn));
  const depth = new Map();
  const visit = (name, d, seen) => {
    if (seen.has(name)) return;
    depth.set(name, Math.max(depth.get(name) ?? 0, d));
    const s = services.find((x) => x.name === name);
    for (const next of s?.dependsOn ?? []) visit(next, d + 1, new Set([...seen, name]));
  };
  for (const s of services) if (!called.has(s.name)) visit(s.name, 0, new Set());
  for (const s of services) if (!depth.has(s.name)) depth.set(s.name, 0);
  return depth;
}

const REASON = {
  lane: 'in lane',
  'not-deployed': 'fallback: not deployed',
  'no-healthy-instance': 'fallback: no healthy instance',
  baseline: 'baseline',
};

function Graph({ map, lane }) {
  const depth = layers(map.services);
  const columns = new Map();
  for (const s of map.services) {
    const d = depth.get(s.name);
    columns.set(d, [...(columns.get(d) ?? []), s.name]);
  }
  const pos = new Map();
  for (const [d, names] of columns) {
    for (const [i, n] of names.entries()) pos.set(n, { x: 30 + d * 250, y: 30 + i * 90 });
  }
  const width = 30 + (Math.max(0, ...depth.values()) + 1) * 250;
  const height = 30 + Math.max(...[...columns.values()].map((c) => c.length)) * 90;
  const hops = new Map((map.routes[lane] ?? []).map((h) => [h.service, h]));
  const edges = map.services.flatMap((s) => s.dependsOn.map((t) => [s.name, t]));
  return html`<svg class="graph" id="graph" width=${width} height=${height} role="img" aria-label=${`call graph, lane ${lane}`}>
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" /></marker></defs>
    ${edges.map(([a, b]) => {
      const p = pos.get(a);
      const q = pos.get(b);
      if (!p || !q) return null;
      const inLane = hops.get(b)?.reason === 'lane';
      return html`<line class=${inLane ? 'edge in-lane' : 'edge'} x1=${p.x + 190} y1=${p.y + 25} x2=${q.x} y2=${q.y + 25} marker-end="url(#arrow)" />`;
    })}
    ${map.services.map((s) => {
      const p = pos.get(s.name);
      const hop = hops.get(s.name);
      const kind = hop?.reason === 'lane' ? 'in-lane' : hop?.reason === 'baseline' ? 'baseline' : 'fallback';
      return html`<g class=${`node ${kind}`} data-node=${s.name} data-served=${hop?.served} data-reason=${hop?.reason} transform=${`translate(${p.x},${p.y})`}>
        <rect width="190" height="50" rx="6" />
        <text x="95" y="21" text-anchor="middle" class="name">${s.name}</text>
        <text x="95" y="39" text-anchor="middle" class="why">${hop ? `${hop.served} · ${REASON[hop.reason]}` : ''}</text>
      </g>`;
    })}
  </svg>`;
}

const MARK = { OK: '[OK]', FALLBACK: '[FALLBACK]', NG: '[NG]' };

/** One hop of a trace and its callees: a `TraceNode` of the tree `lanes trace --json` prints (docs/trace.md). */
function TraceNode({ node }) {
  const calls = node.calls ?? [];
  return html`<li class=${`hop ${String(node.mark).toLowerCase()}`} data-hop=${node.service} data-mark=${node.mark}>
    <span class="mark">${MARK[node.mark] ?? node.mark}</span>
    <span class="svc">${node.service}</span>
    <span class="lanes">asked ${node.asked ?? '-'} · served ${node.served ?? '-'}</span>
    ${node.detail ? html`<span class="reason">${node.detail}</span>` : null}
    ${calls.length ? html`<ul>${calls.map((c) => html`<${TraceNode} node=${c} />`)}</ul>` : null}
  </li>`;
}

function Trace({ map, lane }) {
  const entries = map.services.filter((s) => !map.services.some((o) => o.dependsOn.includes(s.name)));
  const [service, setService] = useState(entries[0]?.name ?? map.services[0]?.name ?? '');
  const [result, setResult] = useState(undefined);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const r = await fetch(
        `/api/trace?service=${encodeURIComponent(service)}&lane=${encodeURIComponent(lane)}`,
      );
      setResult({ ok: r.ok, body: await r.json() });
    } catch (error) {
      setResult({ ok: false, body: { error: String(error) } });
    } finally {
      setBusy(false);
    }
  };
  const root = result?.body?.root;
  return html`<section class="trace" id="trace">
    <h2>Trace a request</h2>
    <label>from <select id="trace-service" value=${service} onChange=${(e) => setService(e.currentTarget.value)}>
      ${map.services.map((s) => html`<option value=${s.name}>${s.name}</option>`)}
    </select></label>
    <span> in lane <b>${lane}</b> </span>
    <button id="trace-run" disabled=${busy} onClick=${run}>${busy ? 'tracing…' : 'Trace'}</button>
    ${result && (!result.ok || result.body.error) ? html`<p class="error" id="trace-error">${result.body.error ?? 'trace failed'}</p>` : null}
    ${result?.ok && root?.service ? html`<ul class="tree" id="trace-tree"><${TraceNode} node=${root} /></ul>` : null}
  </section>`;
}

function App() {
  const [map, setMap] = useState(undefined);
  const [lane, setLane] = useState(undefined);
  const [live, setLive] = useState(false);
  useEffect(() => {
    fetch('/api/map')
      .then((r) => r.json())
      .then(setMap);
    const events = new EventSource('/api/events');
    events.addEventListener('map', (e) => setMap(JSON.parse(e.data)));
    events.onopen = () => setLive(true);
    events.onerror = () => setLive(false);
    return () => events.close();
  }, []);
  if (!map) return html`<p>Loading the lane map…</p>`;
  const shown =
    lane && map.lanes.includes(lane)
      ? lane
      : (map.lanes.find((l) => l !== map.baselineLane) ?? map.baselineLane);
  return html`<header>
      <h1>${map.project} · ${map.env} <small>(${map.target})</small></h1>
      <span class=${live ? 'live on' : 'live'} id="live">${live ? 'live' : 'reconnecting…'}</span>
    </header>
    <${Matrix} map=${map} />
    <section class="routes">
      <h2>Where a request of lane
        <select id="lane-select" value=${shown} onChange=${(e) => setLane(e.currentTarget.value)}>
          ${map.lanes.map((l) => html`<option value=${l}>${l}</option>`)}
        </select>
        goes</h2>
      <${Graph} map=${map} lane=${shown} />
      <p class="legend"><span class="key in-lane">in lane</span> <span class="key fallback">falls back to ${map.baselineLane}</span> <span class="key baseline">baseline</span></p>
    </section>
    <${Trace} map=${map} lane=${shown} />`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
