// A Messenger bot built on botly, for banter's capture proxy tests (tests/sdks.rs). It owns
// the bot's conversation: botly verifies each webhook with X-Hub-Signature (HMAC-SHA1 with
// APP_SECRET) only and refuses the others with 403, and sends replies through the Send API at
// its default https://graph.facebook.com, with no Graph URL given: the `request` library
// under botly reaches it through HTTPS_PROXY and trusts the run's CA through
// NODE_EXTRA_CA_CERTS, both set by banter.
//
// An account_linking event's authorization code is exchanged at the bank (BANK_URL) for the
// customer's token; "balance" then answers with the first account's balance, anything else
// with a greeting. A message seen before (same mid) is not answered again.
// Listens on 127.0.0.1:$PORT (/webhook, and /health); VERIFY_TOKEN and PAGE_TOKEN come from
// banter.yaml.

const express = require('express');
const bodyParser = require('body-parser');
const Botly = require('botly');
const bank = require('./bank');

const botly = new Botly({
  accessToken: process.env.PAGE_TOKEN,
  verifyToken: process.env.VERIFY_TOKEN,
  webHookPath: '/webhook',
});
const tokens = new Map(); // PSID → the customer's bank token, once linked
const seen = new Set(); // message ids already answered

function say(id, text) {
  botly.sendText({ id, text }, (err, body) => {
    if (err || (body && body.error)) console.error('Send API:', err || JSON.stringify(body));
  });
}

botly.on('account_link', async (psid, message, link) => {
  if (link.status !== 'linked') return;
  const linking = bank
    .call('POST', '/oauth/token', null, { code: link.authorization_code })
    .then((answer) => answer.access_token);
  tokens.set(psid, linking);
  await linking;
  say(psid, 'Your bank account is linked.');
});

botly.on('message', async (psid, message, data) => {
  if (seen.has(message.message.mid)) return;
  seen.add(message.message.mid);
  const token = await tokens.get(psid);
  if (!/balance/i.test(data.text || '')) return say(psid, 'Hello! Ask me for your balance.');
  if (!token) return say(psid, 'Please link your bank account first.');
  say(psid, `Your balance is ${await bank.firstBalance(token)}`);
});

botly.on('error', (err) => console.error(err));

const app = express();
app.get('/health', (req, res) => res.send('ok'));
app.use(bodyParser.json({ verify: botly.getVerifySignature(process.env.APP_SECRET) }));
app.use('/', botly.router());
// A refused signature is a 403 (body-parser's status for a failed verify), without a stack trace.
app.use((err, req, res, next) => res.status(err.status || 500).send(err.message));
app.listen(Number(process.env.PORT), '127.0.0.1');
