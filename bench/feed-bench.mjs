// Load generator for the tenant event feed (GET /api/v1/tenants/{t}/events, Server-Sent Events).
// Node.js 20, no npm dependencies. Started by bench/feed-bench.sh, which starts the node.
//
//   node bench/feed-bench.mjs --url http://127.0.0.1:PORT --tenant bench --token TOKEN
//        [--clients 4000] [--rate 100] [--seconds 30] [--ramp 200] [--concurrency 16]
//        [--warmup 5] [--workers 1] [--node-pid PID] [--pg-data DIR] [--mode after|now] [--drain 15]
//        [--jfr FILE] [--pg-port PORT] [--json FILE]
// --pg-port: the node's embedded PostgreSQL; with psql on the PATH, the index scans of feed_entry
//   during the measured seconds are reported (each is one client reading a page of the feed table
//   instead of getting an entry pushed: a gap, or a batch of more than 16 entries).
// --jfr FILE: records the measured seconds of the node with JDK Flight Recorder (jcmd, profile settings).
//
// 1. Opens --clients SSE connections (--ramp at a time, each batch waits for its "retry:" lines),
//    spread over --workers worker threads (the main thread only produces and measures).
// 2. Produces --rate events/s for --warmup + --seconds by creating and deleting repositories (each lane of
//    --concurrency HTTP requests alternates POST and DELETE of its own repository, so at most
//    --concurrency repositories exist). Latency is recorded for the events of the last --seconds
//    only (the warm-up lets the JIT compile the fan-out path); ids and losses are checked for all.
//    Open loop: event k is due at start + k/rate; a late
//    request is sent as soon as a lane is free, and nothing is sent after the planned end (the
//    achieved rate is reported).
// 3. Every client parses every message: latency = receive time - data.at, ids must be consecutive
//    (a jump is counted as lost ids), resync entries and early closes are counted. After the
//    production, waits until every client has the last id (or --drain seconds), then compares
//    per client the events produced (201/204 responses) with the events received.
// 4. Polls GET /metrics every second (heap used) and /proc for the node's CPU.
//
// --mode after (default): clients connect with ?after=<the feed's last id before the run>, so
//   each must receive exactly ids last+1 .. last+produced. --mode now: no ?after= (a stream starts
//   with the next new entry); a client's first expected id is then the first one produced.
// Prints one JSON object (the results) to stdout; progress goes to stderr.

import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { execFile, execFileSync } from 'node:child_process';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';

// ---------------------------------------------------------------- latency histogram (shared)
// Buckets: 0.01 ms steps below 10 ms, then 0.5 % steps up to ~120 s.
const LINEAR = 1000;
const LOG_STEP = Math.log(1.005);
const BUCKETS = LINEAR + Math.ceil(Math.log(120000 / 10) / LOG_STEP) + 2;
function bucketOf(ms) {
  if (ms < 0) ms = 0;
  if (ms < 10) return Math.floor(ms * 100);
  const b = LINEAR + Math.floor(Math.log(ms / 10) / LOG_STEP);
  return b < BUCKETS ? b : BUCKETS - 1;
}
function valueOf(b) { // upper edge of the bucket
  if (b < LINEAR) return (b + 1) / 100;
  return 10 * Math.exp((b - LINEAR + 1) * LOG_STEP);
}
function percentile(hist, total, p) {
  if (total === 0) return NaN;
  const rank = Math.ceil(total * p);
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b];
    if (seen >= rank) return valueOf(b);
  }
  return valueOf(hist.length - 1);
}
const now = () => performance.timeOrigin + performance.now(); // wall clock, sub-ms

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) o[argv[i].slice(2)] = argv[i + 1], i++;
  }
  return o;
}

// ------------------------------------------------------------------------------ worker: clients
function workerMain() {
  const { url, tenant, token, ids: clientIds, ramp, mode, after, seconds, connectDeadline } = workerData;
  const base = new URL(url);
  const path = `/api/v1/tenants/${tenant}/events` + (mode === 'after' ? `?after=${after}` : '');
  const atCache = new Map(); // id -> at (ms, fractional); every client sees the same entries
  let phaseStart = 0; // production start (ms), to bin latencies per second
  const perSecond = []; // per second of production: Uint32Array histogram
  const total = new Uint32Array(BUCKETS);
  let count = 0; let maxLat = 0; let maxLatId = -1;
  let heartbeats = 0; let resyncs = 0; let closedEarly = 0; let errors = 0; const errorSamples = [];
  let finishing = false;
  const clients = [];

  function parseAt(data) {
    const i = data.indexOf('"at":"');
    if (i < 0) return NaN;
    const s = data.slice(i + 6, data.indexOf('"', i + 6)); // 2026-11-26T22:20:43.300667123Z
    const dot = s.indexOf('.');
    if (dot < 0) return Date.parse(s);
    const whole = Date.parse(s.slice(0, dot) + 'Z');
    const frac = s.slice(dot + 1, s.length - 1);
    return whole + Number('0.' + frac) * 1000;
  }

  function onMessage(c, msg, t) {
    if (msg.startsWith('retry:')) {
      c.ready = true; c.readyResolve(); return;
    }
    if (msg.charCodeAt(0) === 58 /* ':' */) { heartbeats++; return; }
    let id = -1; let type = ''; let data = '';
    for (const line of msg.split('\n')) {
      if (line.startsWith('id: ')) id = Number(line.slice(4));
      else if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (type === 'resync') { resyncs++; c.resync = true; c.resyncData = data; return; }
    if (c.first < 0) c.first = id;
    if (c.last >= 0) {
      if (id === c.last + 1) { /* in order */ }
      else if (id > c.last + 1) { c.gaps++; c.gapIds += id - c.last - 1; }
      else { c.dups++; }
    } else if (mode === 'after' && id !== after + 1) {
      c.gaps++; c.gapIds += id - after - 1;
    }
    if (id > c.last) c.last = id;
    c.received++;
    let at = atCache.get(id);
    if (at === undefined) { at = parseAt(data); atCache.set(id, at); }
    const lat = t - at;
    if (phaseStart === 0 || at < phaseStart) return; // not measured (warm-up)
    const b = bucketOf(lat);
    total[b]++; count++;
    if (lat > maxLat) { maxLat = lat; maxLatId = id; }
    {
      let sec = Math.floor((at - phaseStart) / 1000);
      if (sec < 0) sec = 0;
      if (sec > seconds) sec = seconds; // everything after production lands in the last bin
      (perSecond[sec] ||= new Uint32Array(BUCKETS))[b]++;
    }
  }

  function open(index) {
    const c = { index, ready: false, first: -1, last: mode === 'after' ? after : -1, received: 0, gaps: 0, gapIds: 0,
      dups: 0, resync: false, closed: false, error: null };
    c.readyPromise = new Promise((res) => { c.readyResolve = res; });
    const req = http.request({
      host: base.hostname, port: base.port, path, method: 'GET', agent: false,
      headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    }, (res) => {
      if (res.statusCode !== 200) {
        c.error = `HTTP ${res.statusCode}`; errors++;
        if (errorSamples.length < 5) errorSamples.push(`client ${index}: HTTP ${res.statusCode}`);
        res.resume(); c.readyResolve(); return;
      }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk) => {
        const t = now();
        buf += chunk;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, end);
          buf = buf.slice(end + 2);
          onMessage(c, msg, t);
        }
      });
      res.on('end', () => {
        c.closed = true;
        if (!finishing) closedEarly++;
        c.readyResolve();
      });
      res.on('error', () => {});
    });
    req.on('socket', (s) => s.setNoDelay(true));
    req.on('error', (e) => {
      c.closed = true;
      if (!finishing) {
        c.error = e.code || e.message; errors++;
        if (errorSamples.length < 5) errorSamples.push(`client ${index}: ${e.code || e.message}`);
      }
      c.readyResolve();
    });
    req.end();
    c.req = req;
    clients.push(c);
    return c;
  }

  async function connectAll() {
    for (let i = 0; i < clientIds.length && Date.now() < connectDeadline; i += ramp) {
      const batch = clientIds.slice(i, i + ramp).map(open);
      const timeout = new Promise((res) => setTimeout(res, Math.max(0, Math.min(15000, connectDeadline - Date.now()))));
      await Promise.race([Promise.all(batch.map((c) => c.readyPromise)), timeout]);
      parentPort.postMessage({ type: 'progress', ready: clients.filter((c) => c.ready).length });
    }
    // A batch that timed out may still be waiting: give the stragglers a last chance.
    const t0 = Date.now();
    while (clients.some((c) => !c.ready && !c.closed) && Date.now() - t0 < 5000 && Date.now() < connectDeadline) {
      await new Promise((res) => setTimeout(res, 200));
    }
    parentPort.postMessage({ type: 'ready', ready: clients.filter((c) => c.ready).length, total: clientIds.length });
  }

  parentPort.on('message', async (m) => {
    if (m.cmd === 'start') {
      phaseStart = m.at;
    } else if (m.cmd === 'finish') {
      // Wait until every live client has the expected last id, or the drain timeout.
      const deadline = Date.now() + m.drainMs;
      while (Date.now() < deadline
        && clients.some((c) => c.ready && !c.closed && !c.resync && c.last < m.lastId)) {
        await new Promise((res) => setTimeout(res, 50));
      }
      const drained = now();
      finishing = true;
      for (const c of clients) c.req.destroy();
      const perClient = clients.map((c) => ({ first: c.first, last: c.last, received: c.received, gaps: c.gaps,
        gapIds: c.gapIds, dups: c.dups, resync: c.resync, ready: c.ready, closed: c.closed, error: c.error }));
      const resyncSamples = clients.filter((c) => c.resync).slice(0, 3).map((c) => c.resyncData);
      parentPort.postMessage({ type: 'result', drained, total, count, maxLat, maxLatId, heartbeats, resyncs,
        closedEarly, errors, errorSamples, perClient, resyncSamples,
        perSecond: Array.from(perSecond, (h) => h || new Uint32Array(BUCKETS)) });
    }
  });
  connectAll();
}

// ----------------------------------------------------------------------- main: producer, meters
async function main() {
  const a = parseArgs(process.argv.slice(2));
  const url = a.url; const tenant = a.tenant || 'bench'; const token = a.token;
  const clientsN = Number(a.clients ?? 4000); const rate = Number(a.rate ?? 100);
  const seconds = Number(a.seconds ?? 30); const ramp = Number(a.ramp ?? 200);
  const concurrency = Number(a.concurrency ?? 16); const workersN = Math.max(1, Number(a.workers ?? 1));
  const nodePid = a['node-pid'] ? Number(a['node-pid']) : null; const mode = a.mode || 'after';
  const pgData = a['pg-data'] || null; const warmup = Number(a.warmup ?? 5);
  const pgPort = a['pg-port'] || null;
  function feedTableReads() {
    if (!pgPort) return null;
    try {
      return Number(execFileSync('psql', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-d', 'postgres', '-Atc',
        "SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) FROM pg_stat_user_tables WHERE relname = 'feed_entry'"],
      { encoding: 'utf8', timeout: 10000, env: { ...process.env, PGPASSWORD: 'postgres' } }).trim());
    } catch (e) { log('psql failed:', e.message.split('\n')[0]); return null; }
  }
  const drainMs = Number(a.drain ?? 15) * 1000;
  const connectTimeoutMs = Number(a['connect-timeout'] ?? 120) * 1000;
  const log = (...x) => console.error('[feed-bench]', ...x);
  const base = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

  function request(method, path, body, fresh = false) {
    return new Promise((resolve) => {
      const payload = body ? JSON.stringify(body) : null;
      const req = http.request({ host: base.hostname, port: base.port, path, method, agent: fresh ? false : agent,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json',
          ...(payload ? { 'Content-Length': Buffer.byteLength(payload) } : {}) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.setTimeout(10000, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, text: e.message }));
      if (payload) req.write(payload);
      req.end();
    });
  }

  // ---- meters: heap (GET /metrics), CPU of the node (JVM) and its PostgreSQL, and of this process
  const ticks = 100; // USER_HZ
  function procTimes(pid) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / ticks };
    } catch { return null; }
  }
  function descendants(root) {
    const children = new Map();
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const t = procTimes(d);
      if (t) (children.get(t.ppid) || children.set(t.ppid, []).get(t.ppid)).push(Number(d));
    }
    const out = []; const stack = [...(children.get(root) || [])];
    while (stack.length) { const p = stack.pop(); out.push(p); stack.push(...(children.get(p) || [])); }
    return out;
  }
  let pgPids = null; // the embedded PostgreSQL daemonizes (its parent is init): found by data directory
  function postgresPids() {
    if (!pgData) return [];
    if (pgPids === null || pgPids.length === 0) {
      const roots = [];
      for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
          const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
          if (cmd.includes('postgres') && cmd.includes(pgData)) roots.push(Number(d));
        } catch { /* gone */ }
      }
      pgPids = roots;
    }
    return pgPids;
  }
  function cpuSample() {
    const jvm = nodePid ? procTimes(nodePid)?.cpu ?? 0 : 0;
    // Every backend of the postmaster counts (exited backends are not: the run keeps its connections).
    const pg = postgresPids().flatMap((p) => [p, ...descendants(p)]).reduce((s, p) => s + (procTimes(p)?.cpu ?? 0), 0);
    const self = procTimes(process.pid)?.cpu ?? 0;
    // The whole machine's busy time (/proc/stat): what is left after the node, its PostgreSQL and
    // this process is other software sharing the cores during the run.
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / ticks; // user nice system irq softirq steal
    return { t: now(), jvm, pg, self, busy };
  }
  let heapMax = 0; let heapLast = 0; const heapSeries = [];
  async function pollHeap() {
    const r = await request('GET', '/metrics');
    if (r.status !== 200) return;
    let sum = 0; let found = false;
    for (const line of r.text.split('\n')) {
      if (line.startsWith('jvm_memory_used_bytes') && line.includes('area="heap"')) {
        sum += Number(line.slice(line.lastIndexOf(' ') + 1)); found = true;
      }
    }
    if (found) { heapLast = sum; heapMax = Math.max(heapMax, sum); heapSeries.push(Math.round(sum / 1048576)); }
  }
  let meterTimer = null;
  const cpuSeries = [];
  function startMeters() {
    meterTimer = setInterval(() => { pollHeap(); cpuSeries.push(cpuSample()); }, 1000);
  }

  // ---- the feed's last id before the run (a probe stream with ?after=0 replays everything)
  async function feedLastId() {
    return new Promise((resolve, reject) => {
      let last = 0; let timer = null;
      const req = http.request({ host: base.hostname, port: base.port, method: 'GET', agent: false,
        path: `/api/v1/tenants/${tenant}/events?after=0`,
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) { reject(new Error(`probe: HTTP ${res.statusCode}`)); return; }
        res.setEncoding('utf8');
        let buf = '';
        const settle = () => { clearTimeout(timer); timer = setTimeout(() => { req.destroy(); resolve(last); }, 1500); };
        settle();
        res.on('data', (d) => {
          buf += d;
          let m; const re = /^id: (\d+)$/mg;
          while ((m = re.exec(buf))) last = Math.max(last, Number(m[1]));
          buf = buf.slice(buf.lastIndexOf('\n\n') + 2);
          settle();
        });
      });
      req.on('error', (e) => { if (timer === null) reject(e); });
      req.setTimeout(15000, () => req.destroy(new Error('probe: no answer in 15 s')));
      req.end();
    });
  }

  const after = await feedLastId();
  log(`feed's last id before the run: ${after}; mode ${mode}`);
  startMeters();

  // ---- clients
  const ids = [...Array(clientsN).keys()];
  const workers = []; const readyCounts = new Array(workersN).fill(0);
  const readyAll = []; const results = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const tConnect0 = now();
  for (let w = 0; w < workersN; w++) {
    const mine = ids.filter((i) => i % workersN === w);
    const worker = new Worker(new URL(import.meta.url), { workerData: {
      url, tenant, token, ids: mine, ramp: Math.max(1, Math.round(ramp / workersN)), mode, after, seconds,
      connectDeadline: Date.now() + connectTimeoutMs } });
    workers.push(worker);
    readyAll.push(new Promise((res) => worker.on('message', (m) => {
      if (m.type === 'progress') {
        readyCounts[w] = m.ready;
        const sum = readyCounts.reduce((x, y) => x + y, 0);
        if (sum % 1000 < ramp || sum === clientsN) log(`connected ${sum}/${clientsN}`);
      } else if (m.type === 'ready') { readyCounts[w] = m.ready; res(m); }
      else if (m.type === 'result') results[w] = m;
    })));
    worker.on('error', (e) => { log('worker error', e); process.exit(3); });
  }
  const readyInfo = await Promise.all(readyAll);
  const ready = readyInfo.reduce((s, m) => s + m.ready, 0);
  const connectSeconds = (now() - tConnect0) / 1000;
  log(`${ready}/${clientsN} clients got "retry:" in ${connectSeconds.toFixed(1)} s`);
  if (ready < clientsN) {
    // Not a measurement of N clients: report what was seen and stop (no events are produced).
    clearInterval(meterTimer);
    const t = now(); const health = await request('GET', '/health/ready', null, true); // while the clients are still connected
    const healthNote = health.status ? `HTTP ${health.status} in ${(now() - t).toFixed(0)} ms` : `no answer (${health.text})`;
    for (const w of workers) w.terminate();
    agent.destroy();
    const out = { aborted: `only ${ready} of ${clientsN} clients got the "retry:" line within ${connectTimeoutMs / 1000} s;`
      + ` a new connection's GET /health/ready while they were connected: ${healthNote}`,
      clients: clientsN, clientsConnected: ready, connectSeconds, heapMaxMiB: heapMax / 1048576, heapSeriesMiB: heapSeries };
    if (a.json) fs.writeFileSync(a.json, JSON.stringify(out, null, 1));
    console.log(JSON.stringify(out));
    process.exit(2);
  }
  if (mode === 'now') await new Promise((res) => setTimeout(res, 3000)); // their "from now" look-ups

  // ---- producer
  const total = Math.round(rate * (warmup + seconds));
  let produced = 0; let createOk = 0; let deleteOk = 0; const failures = {}; const failSamples = [];
  let issued = 0; let lateMax = 0; let lateSum = 0; let stoppedLate = false;
  const reqLat = new Uint32Array(BUCKETS); let reqCount = 0;
  const t0 = now() + 200;
  const tm = t0 + warmup * 1000; // measured phase
  const hardStop = tm + seconds * 1000; // events not issued by then are not issued at all
  for (const w of workers) w.postMessage({ cmd: 'start', at: tm });
  let cpu0 = null; let producedAtTm = 0; let reads0 = null;
  setTimeout(() => {
    cpu0 = cpuSample(); producedAtTm = produced; loopDelay.enable(); reads0 = feedTableReads();
    if (a.jfr && nodePid) {
      execFile('jcmd', [String(nodePid), 'JFR.start', `settings=${a['jfr-settings'] || 'profile'}`, `duration=${seconds}s`, `filename=${a.jfr}`],
        (e) => { if (e) log('jcmd JFR.start failed:', e.message); });
    }
  }, Math.max(0, tm - now()));
  const loadavg = os.loadavg();
  if (warmup > 0) log(`warm-up ${warmup} s, then ${seconds} s measured`);
  async function lane(j) {
    const name = `bench-${j}`;
    let exists = false;
    for (;;) {
      const k = issued++;
      if (k >= total) return;
      if (now() >= hardStop) { stoppedLate = true; return; } // behind schedule: the run stays bounded
      const due = t0 + (k * 1000) / rate;
      const wait = due - now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      else { lateMax = Math.max(lateMax, -wait); lateSum += -wait; }
      const s = now();
      const r = exists
        ? await request('DELETE', `/api/v1/tenants/${tenant}/repos/${name}`)
        : await request('POST', `/api/v1/tenants/${tenant}/repos`, { name });
      reqLat[bucketOf(now() - s)]++; reqCount++;
      const okStatus = exists ? 204 : 201;
      if (r.status === okStatus) {
        produced++; if (exists) deleteOk++; else createOk++;
        exists = !exists;
      } else {
        const key = `${exists ? 'DELETE' : 'POST'} ${r.status}`;
        failures[key] = (failures[key] || 0) + 1;
        if (failSamples.length < 5) failSamples.push(`${key}: ${r.text.slice(0, 300)}`);
        // Find out where the repository stands before going on.
        const g = await request('GET', `/api/v1/tenants/${tenant}/repos/${name}`);
        exists = g.status === 200;
      }
    }
  }
  await Promise.all([...Array(concurrency).keys()].map(lane));
  const t1 = now();
  const cpu1 = cpuSample();
  loopDelay.disable();
  const produceSeconds = (t1 - t0) / 1000; const measuredSeconds = seconds;
  log(`produced ${produced} events in ${produceSeconds.toFixed(1)} s (${(produced / produceSeconds).toFixed(1)}/s)`);

  // ---- drain and collect
  const lastId = after + produced;
  for (const w of workers) w.postMessage({ cmd: 'finish', lastId, drainMs });
  await new Promise((res) => {
    const iv = setInterval(() => { if (results.filter(Boolean).length === workersN) { clearInterval(iv); res(); } }, 50);
  });
  clearInterval(meterTimer);
  await pollHeap();
  await new Promise((res) => setTimeout(res, 1500)); // PostgreSQL publishes table statistics within 1 s
  const reads1 = feedTableReads();
  for (const w of workers) w.terminate();
  agent.destroy();

  // ---- aggregate
  const hist = new Uint32Array(BUCKETS); let count = 0; let maxLat = 0; let maxLatId = -1;
  let heartbeats = 0; let resyncs = 0; let closedEarly = 0; let errors = 0; const errorSamples = [];
  const perSecond = []; let drained = 0; const resyncSamples = [];
  let lostClients = 0; let lost = 0; let gapIds = 0; let gaps = 0; let dups = 0; let notReady = 0;
  let extra = 0; let firstIdMismatch = 0; let receivedAll = 0;
  for (const r of results) {
    for (let b = 0; b < BUCKETS; b++) hist[b] += r.total[b];
    count += r.count; heartbeats += r.heartbeats; resyncs += r.resyncs; closedEarly += r.closedEarly;
    errors += r.errors; errorSamples.push(...r.errorSamples); resyncSamples.push(...r.resyncSamples);
    if (r.maxLat > maxLat) { maxLat = r.maxLat; maxLatId = r.maxLatId; }
    drained = Math.max(drained, r.drained);
    r.perSecond.forEach((h, i) => {
      const into = (perSecond[i] ||= new Uint32Array(BUCKETS));
      for (let b = 0; b < BUCKETS; b++) into[b] += h[b];
    });
    for (const c of r.perClient) {
      if (!c.ready) { notReady++; continue; }
      // Expected: every id after `after` up to lastId (mode after), or from the first produced.
      const received = c.received; receivedAll += received;
      const missing = produced - received;
      if (missing > 0) { lostClients++; lost += missing; }
      if (missing < 0) extra += -missing;
      gaps += c.gaps; gapIds += c.gapIds; dups += c.dups;
      if (c.first !== after + 1 && produced > 0) firstIdMismatch++;
    }
  }
  const pct = (p) => percentile(hist, count, p);
  const timeline = perSecond.map((h, i) => {
    const n = h.reduce((s, x) => s + x, 0);
    return { second: i, deliveries: n, p50: n ? percentile(h, n, 0.5) : null, p99: n ? percentile(h, n, 0.99) : null };
  });
  const clientsOk = clientsN - notReady;
  const out = {
    clients: clientsN, clientsConnected: ready, connectSeconds, workers: workersN, mode, after,
    targetRate: rate, seconds, warmup, concurrency, loadavgBefore: loadavg,
    produced, createOk, deleteOk, failures, failSamples, produceSeconds, measuredSeconds,
    achievedRate: (produced - producedAtTm) / measuredSeconds, producedMeasured: produced - producedAtTm,
    requestP50: percentile(reqLat, reqCount, 0.5), requestP99: percentile(reqLat, reqCount, 0.99),
    producerLateMaxMs: lateMax, producerStoppedLate: stoppedLate, producerLateAvgMs: reqCount ? lateSum / reqCount : 0,
    expectedDeliveries: produced * clientsOk, receivedAll, deliveries: count,
    deliveriesPerSecond: count / measuredSeconds, drainSeconds: (drained - t1) / 1000,
    p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), p999: pct(0.999), max: maxLat, maxLatId,
    lost, lostClients, gaps, gapIds, duplicates: dups + extra, firstIdMismatch, resyncs, resyncSamples, closedEarly,
    errors, errorSamples, notReady, heartbeats,
    heapMaxMiB: heapMax / 1048576, heapLastMiB: heapLast / 1048576, heapSeriesMiB: heapSeries,
    cpu: nodePid ? {
      jvmCores: (cpu1.jvm - cpu0.jvm) / ((cpu1.t - cpu0.t) / 1000),
      postgresCores: (cpu1.pg - cpu0.pg) / ((cpu1.t - cpu0.t) / 1000),
      loadGeneratorCores: (cpu1.self - cpu0.self) / ((cpu1.t - cpu0.t) / 1000),
      otherCores: ((cpu1.busy - cpu0.busy) - (cpu1.jvm - cpu0.jvm) - (cpu1.pg - cpu0.pg) - (cpu1.self - cpu0.self))
        / ((cpu1.t - cpu0.t) / 1000),
    } : null,
    feedTablePageReads: reads0 !== null && reads1 !== null ? reads1 - reads0 : null,
    producerLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    timeline, cores: os.cpus().length,
  };
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(out, null, 1));
  console.log(JSON.stringify(out));
}

if (isMainThread) {
  main().catch((e) => { console.error(e); process.exit(1); });
} else {
  workerMain();
}
