// The mock bank as the Node.js test bots read it (tests/bots/sdk/*.js): GET and POST at
// BANK_URL with the customer's token, parsed JSON back. BANK_URL is on 127.0.0.1, which
// NO_PROXY keeps away from the capture proxy.

async function call(method, path, token, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(process.env.BANK_URL + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`bank ${method} ${path}: HTTP ${response.status}`);
  return response.json();
}

// The first account's balance, formatted like banter's `usd` filter: $2,481.17.
async function firstBalance(token) {
  const { accounts } = await call('GET', '/fdx/v6/accounts', token);
  const amount = accounts[0].currentBalance;
  return '$' + amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

module.exports = { call, firstBalance };
