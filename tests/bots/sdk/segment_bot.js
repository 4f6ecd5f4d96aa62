// A chat bot that sends its telemetry through the real, unmodified Segment Node.js SDK
// (@segment/analytics-node) at its default host, api.segment.io, for banter's capture proxy
// tests (tests/sdks.rs). It owns the bot's Segment calls and its proxy set-up.
//
// Node's built-in fetch, which the SDK uses, ignores HTTPS_PROXY; like a bot deployed behind
// a corporate proxy, this process routes every fetch through undici's EnvHttpProxyAgent, which
// reads HTTPS_PROXY and NO_PROXY (set by banter), and trusts the run's CA through
// NODE_EXTRA_CA_CERTS. The SDK itself is given no host, path or HTTP client.
//
// MODE=clean tracks an event with no customer value; MODE=leaky also identifies the user with
// the customer's full name as a trait. Each call flushes at once (flushAt: 1) and the reply
// waits for the SDK's callback, so the telemetry lands in the turn.
// POST /chat {conversation_id, text, bank_token} replies with the first account's balance.

const http = require('node:http');
const undici = require('undici');
const { Analytics } = require('@segment/analytics-node');
const bank = require('./bank');

undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent());
globalThis.fetch = undici.fetch;

const LEAKY = process.env.MODE === 'leaky';
const analytics = new Analytics({ writeKey: 'banter-test-write-key', flushAt: 1 });

function sent(call, message) {
  return new Promise((resolve, reject) =>
    analytics[call](message, (err) => (err ? reject(err) : resolve())),
  );
}

async function chat({ conversation_id: userId, bank_token: token }) {
  if (LEAKY) {
    const { name } = await bank.call('GET', '/fdx/v6/customers/current', token);
    await sent('identify', { userId, traits: { name: `${name.first} ${name.last}` } });
  }
  await sent('track', { userId, event: 'Balance Viewed', properties: { channel: 'chat' } });
  return { replies: [{ text: `Your balance is ${await bank.firstBalance(token)}` }] };
}

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      let status = 200;
      let answer = 'ok';
      if (req.method === 'POST') {
        try {
          answer = JSON.stringify(await chat(JSON.parse(body)));
        } catch (err) {
          console.error(err);
          [status, answer] = [500, JSON.stringify({ error: String(err) })];
        }
      }
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(answer);
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
