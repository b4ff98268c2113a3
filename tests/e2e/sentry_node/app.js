// A small Node app that reports a real exception to the DSN given as its argument.
const Sentry = require("@sentry/node");

Sentry.init({
  dsn: process.argv[2],
  release: "web@2.0.0",
  environment: "e2e",
  tracesSampleRate: 0,
});

function parseOrder(raw) {
  return JSON.parse(raw).items.length;
}

try {
  parseOrder("{}");
} catch (err) {
  Sentry.captureException(err);
}

Sentry.flush(10000).then((ok) => process.exit(ok ? 0 : 1));
