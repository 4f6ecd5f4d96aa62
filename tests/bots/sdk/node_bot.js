// A chat bot that sends its telemetry through one real, unmodified Node.js analytics SDK at
// the service's default host, for banter's capture proxy tests (tests/sdks.rs). It owns the
// bot's SDK calls and its proxy set-up.
//
// SDK picks the SDK: `segment` (@segment/analytics-node, to api.segment.io) or `amplitude`
// (@amplitude/analytics-node, to api2.amplitude.com). Neither is given a host, path or HTTP
// client. Node's HTTP stacks ignore HTTPS_PROXY, so, like a service deployed behind a
// corporate proxy, this process routes them through the proxy that banter names there:
// fetch (which the Segment SDK calls) through undici's EnvHttpProxyAgent, which also honours
// NO_PROXY, and the https module (which the Amplitude SDK calls) through an HttpsProxyAgent.
// The run's CA is trusted through NODE_EXTRA_CA_CERTS.
//
// MODE=clean tracks an event with no customer value; MODE=leaky also identifies the user with
// one customer value (Segment: the full name as a trait; Amplitude: the phone as a user
// property). Each turn's events are sent before the bot replies.
// POST /chat {conversation_id, text, bank_token} replies with the first account's balance.

const http = require('node:http');
const https = require('node:https');
const undici = require('undici');
const { HttpsProxyAgent } = require('https-proxy-agent');
const bank = require('./bank');

undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent());
globalThis.fetch = undici.fetch;
https.globalAgent = new HttpsProxyAgent(process.env.HTTPS_PROXY);

const LEAKY = process.env.MODE === 'leaky';

// Each SDK as one function: send(userId, customer) resolves once the turn's events were sent.
const SDKS = {
  segment() {
    const { Analytics } = require('@segment/analytics-node');
    const analytics = new Analytics({ writeKey: 'banter-test-write-key', flushAt: 1 });
    const sent = (call, message) =>
      new Promise((resolve, reject) =>
        analytics[call](message, (err) => (err ? reject(err) : resolve())),
      );
    return async (userId, customer) => {
      if (LEAKY) {
        const name = `${customer.name.first} ${customer.name.last}`;
        await sent('identify', { userId, traits: { name } });
      }
      await sent('track', { userId, event: 'Balance Viewed', properties: { channel: 'chat' } });
    };
  },
  amplitude() {
    const amplitude = require('@amplitude/analytics-node');
    amplitude.init('banter-test-api-key');
    return async (user_id, customer) => {
      if (LEAKY) {
        const phone = new amplitude.Identify().set('phone', customer.telephones[0].number);
        amplitude.identify(phone, { user_id });
      }
      amplitude.track('Balance Viewed', { channel: 'chat' }, { user_id });
      const result = await amplitude.flush().promise;
      if (result && result.code && result.code !== 200) throw new Error(result.message);
    };
  },
};
const send = SDKS[process.env.SDK]();

async function chat({ conversation_id: userId, bank_token: token }) {
  await send(userId, await bank.call('GET', '/fdx/v6/customers/current', token));
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
