// A Bot Framework bot built with the platform's own SDK (botbuilder from npm), for banter's
// tests: independent code that banter's botframework connector must drive like a real channel.
// It reads the mock bank with the token the channel passes in channelData.bank_token.
// Install with `npm ci` in this directory (.ci/run and the test do it); run with PORT and BANK_URL set.
const http = require("http");
const { CloudAdapter, ConfigurationBotFrameworkAuthentication, ActivityHandler, CardFactory, MessageFactory } = require("botbuilder");

const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
adapter.onTurnError = async (context, error) => {
  console.error("turn error:", error);
  await context.sendActivity("Sorry, something went wrong.");
};

async function balance(token) {
  const response = await fetch(process.env.BANK_URL + "/fdx/v6/accounts", { headers: { Authorization: "Bearer " + token } });
  const body = await response.json();
  const amount = body.accounts[0].currentBalance;
  return "$" + amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

class BankBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      const text = (context.activity.text || "").toLowerCase();
      if (text.includes("balance")) {
        const token = (context.activity.channelData || {}).bank_token || "";
        const reply = MessageFactory.suggestedActions(["Transactions", "Advisor"], "Your balance is " + (await balance(token)) + ".");
        await context.sendActivity(reply);
      } else {
        const card = CardFactory.heroCard("Bank bot", "How can I help?", [], CardFactory.actions([
          { type: "imBack", title: "Balance", value: "balance" },
          { type: "imBack", title: "Advisor", value: "advisor" },
        ]));
        await context.sendActivity(MessageFactory.attachment(card));
      }
      await next();
    });
  }
}
const bot = new BankBot();

// botbuilder's CloudAdapter takes express- or restify-style requests; Node's http needs a small shim.
http.createServer((req, res) => {
  if (req.method === "GET") { res.writeHead(200); return res.end("ok"); }
  let data = "";
  req.on("data", (chunk) => (data += chunk));
  req.on("end", () => {
    req.body = JSON.parse(data || "{}");
    const shim = {
      socket: res.socket,
      status(code) { res.statusCode = code; return shim; },
      header(name, value) { res.setHeader(name, value); return shim; },
      send(body) { if (body !== undefined) res.write(typeof body === "string" ? body : JSON.stringify(body)); return shim; },
      end() { res.end(); return shim; },
    };
    adapter.process(req, shim, (context) => bot.run(context)).catch((e) => { console.error(e); res.statusCode = 500; res.end(); });
  });
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("botbuilder bot on port " + process.env.PORT));
