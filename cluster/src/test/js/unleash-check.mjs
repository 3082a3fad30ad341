// The real Unleash Node SDK (unleash-client) reading DevFlow, for UnleashSdkTest.
//
// Usage: node unleash-check.mjs '{"url": "http://127.0.0.1:PORT/api/", "token": "...", "mode": "evaluate",
//                                 "flags": ["a", "b"], "users": 10000, "streaming": false}'
//
// mode "evaluate": once the SDK has synchronized, evaluates every flag for users user-0 … user-N-1
//   (context: userId, properties.region = "eu" for even users else "us", properties.appVersion
//   "2.1.0" for users divisible by 3 else "1.9.0") and prints
//   {"kind":"results","results":{"flag":[[enabled, variant], ...]}}, then flushes metrics and exits.
// mode "watch": prints {"kind":"value","flag":..,"enabled":..,"atMs":..} whenever isEnabled(flag)
//   for user-1 changes (checked every 2 ms), until timeoutMs.
// Errors the SDK reports are printed as {"kind":"error","message":...}.
import { Unleash } from 'unleash-client';

const opts = JSON.parse(process.argv[2] ?? '{}');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const unleash = new Unleash({
  url: opts.url,
  appName: 'devflow-sdk-test',
  instanceId: opts.instanceId ?? 'sdk-test-1',
  customHeaders: { Authorization: opts.token },
  refreshInterval: opts.refreshMs ?? 15000,
  metricsInterval: 60000,
  experimentalMode: opts.streaming ? { type: 'streaming' } : { type: 'polling', format: 'full' },
});
unleash.on('error', (e) => out({ kind: 'error', message: String(e?.message ?? e) }));
unleash.on('warn', (e) => out({ kind: 'warn', message: String(e) }));

function context(i) {
  return {
    userId: `user-${i}`,
    properties: { region: i % 2 === 0 ? 'eu' : 'us', appVersion: i % 3 === 0 ? '2.1.0' : '1.9.0' },
  };
}

const timer = setTimeout(() => {
  out({ kind: 'end', reason: 'timeout' });
  process.exit(opts.mode === 'watch' ? 0 : 3);
}, opts.timeoutMs ?? 60000);

unleash.on('synchronized', async () => {
  out({ kind: 'synchronized' });
  if (opts.mode === 'watch') {
    let last;
    setInterval(() => {
      const enabled = unleash.isEnabled(opts.flags[0], context(1));
      if (enabled !== last) {
        last = enabled;
        out({ kind: 'value', flag: opts.flags[0], enabled, atMs: Date.now() });
      }
    }, 2);
    return;
  }
  const results = {};
  for (const flag of opts.flags) {
    const list = [];
    for (let i = 0; i < opts.users; i++) {
      const ctx = context(i);
      const enabled = unleash.isEnabled(flag, ctx);
      const variant = unleash.getVariant(flag, ctx);
      list.push([enabled, variant.name]);
    }
    results[flag] = list;
  }
  out({ kind: 'results', results });
  clearTimeout(timer);
  await unleash.destroyWithFlush();
  // Writes to a pipe are asynchronous: exit only once the last line has been handed over.
  process.stdout.write(JSON.stringify({ kind: 'end', reason: 'done' }) + '\n', () => process.exit(0));
});
