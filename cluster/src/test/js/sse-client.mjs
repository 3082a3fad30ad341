// A real EventSource client (the `eventsource` npm package) for the event feed tests.
//
// Usage: node sse-client.mjs '{"url": "...", "token": "...", "lastEventId": "3", "count": 5, "timeoutMs": 30000}'
//
// Prints one JSON line per happening to stdout:
//   {"kind":"request","lastEventId":"3"|null}   each HTTP request the EventSource makes (with the
//                                               Last-Event-ID header it sends, so reconnects show)
//   {"kind":"open"}                             a connection was accepted (200 text/event-stream)
//   {"kind":"event","id":"4","type":"repo.created","data":"{...}"}
//   {"kind":"error","code":401,"message":"...","readyState":2}
//   {"kind":"end","reason":"count"|"timeout"|"closed"}   then exits
// It exits after `count` events (if given), after `timeoutMs`, or once the EventSource has closed
// for good (a non-200 answer: the EventSource does not retry those).
import { EventSource } from 'eventsource';

const opts = JSON.parse(process.argv[2] ?? '{}');
const count = opts.count ?? Infinity;
const timeoutMs = opts.timeoutMs ?? 60000;

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

let firstRequest = true;
const authedFetch = (input, init) => {
  const headers = { ...(init?.headers ?? {}) };
  // The caller's Last-Event-ID goes only on the first request; after that the EventSource sends
  // the id of the last event it saw, by itself.
  if (firstRequest && opts.lastEventId != null && headers['Last-Event-ID'] == null) {
    headers['Last-Event-ID'] = String(opts.lastEventId);
  }
  firstRequest = false;
  if (opts.token) {
    headers['Authorization'] = 'Bearer ' + opts.token;
  }
  out({ kind: 'request', lastEventId: headers['Last-Event-ID'] ?? null });
  return fetch(input, { ...init, headers });
};

let received = 0;
let es;

function finish(reason) {
  out({ kind: 'end', reason });
  if (es) es.close();
  process.exit(0);
}

/** Sees every MessageEvent whatever its type (EventSource only dispatches to named listeners). */
class RecordingEventSource extends EventSource {
  dispatchEvent(event) {
    if (event.type === 'open') {
      out({ kind: 'open' });
    } else if (event.type === 'error') {
      out({ kind: 'error', code: event.code ?? null, message: event.message ?? null, readyState: this.readyState });
      if (this.readyState === 2) {
        setImmediate(() => finish('closed'));
      }
    } else {
      out({ kind: 'event', id: event.lastEventId, type: event.type, data: event.data });
      received++;
      if (received >= count) {
        setImmediate(() => finish('count'));
      }
    }
    return super.dispatchEvent(event);
  }
}

setTimeout(() => finish('timeout'), timeoutMs);
es = new RecordingEventSource(opts.url, { fetch: authedFetch });
