"""The JavaScript (Node) repository of the corpus: an order service with planted bugs.

`src/report.js` plays the part of an error SDK: it records V8 call sites and prints a
Sentry-protocol event (frames oldest-first, ``in_app``, ``context_line`` read from the
deployed file, the ``cause`` chain cause-first) on stdout.
"""

from __future__ import annotations

from build import Author, Case, Commit, RepoSpec

ERIN = Author("Erin Evans", "erin@example.com")
FRANK = Author("Frank Fischer", "frank@example.com")
GRACE = Author("Grace Gupta", "grace@example.com")
HEIDI = Author("Heidi Hall", "heidi@example.com")

REPORT = r"""'use strict';
const fs = require('fs');
const crypto = require('crypto');

Error.prepareStackTrace = (err, sites) => {
  err.__sites = sites;
  return `${err}\n` + sites.map((s) => `    at ${s}`).join('\n');
};

function frame(site) {
  const file = site.getFileName() || '<anonymous>';
  const inApp = !file.includes('node_modules') && !file.startsWith('node:') && file.startsWith('/');
  const out = {
    filename: file, abs_path: file, function: site.getFunctionName() || '<anonymous>',
    lineno: site.getLineNumber(), colno: site.getColumnNumber(), in_app: inApp,
  };
  if (inApp) {
    try {
      out.context_line = fs.readFileSync(file, 'utf8').split('\n')[out.lineno - 1];
    } catch (e) { /* unreadable: no context */ }
  }
  return out;
}

function capture(err) {
  const chain = [];
  for (let e = err; e; e = e.cause) {
    void e.stack;
    const sites = e.__sites || [];
    chain.unshift({ type: e.name, value: e.message,
      stacktrace: { frames: sites.map(frame).reverse() } });
  }
  return { event_id: crypto.randomBytes(16).toString('hex'), platform: 'node',
    level: 'error', exception: { values: chain } };
}

module.exports = { capture };
"""

INDEX = """'use strict';
const { capture } = require('./report');
const { orderTotal } = require('./orders/total');
const { checkout } = require('./checkout');
const { money } = require('./lib/format');

function run(name) {
  if (name === 'undefined') return orderTotal({ items: [{ price: 2 }] });
  if (name === 'format') return money('12');
  if (name === 'cause') return checkout({ items: [{ price: '3' }] });
  throw new Error(`unknown case ${name}`);
}

try {
  run(process.argv[2]);
} catch (err) {
  console.error(err); // what Node prints for an uncaught error, causes included
  process.stdout.write(JSON.stringify(capture(err)));
  process.exitCode = 1;
}
"""

TOTAL_V1 = """'use strict';

function orderTotal(order) {
  return order.items.reduce((sum, item) => sum + item.price, 0);
}

module.exports = { orderTotal };
"""

TOTAL_V2 = """'use strict';

function orderTotal(order) {
  const lines = order.lines;
  return lines.reduce((sum, line) => sum + line.price, 0); // BUG:undefined
}

module.exports = { orderTotal };
"""

TOTAL_V3 = "// Order totals. Lines replaced items in the v2 order schema.\n" + TOTAL_V2

FORMAT_V1 = """'use strict';

function money(value) {
  return Number(value).toFixed(2);
}

module.exports = { money };
"""

FORMAT_V2 = """'use strict';

function money(value) {
  // Values are numbers since the v2 schema.
  return value.toFixed(2); // BUG:format BUG:cause
}

module.exports = { money };
"""

CHECKOUT = """'use strict';
const { money } = require('./lib/format');

function checkout(order) {
  try {
    return order.items.map((item) => money(item.price));
  } catch (err) {
    throw new Error('checkout failed', { cause: err });
  }
}

module.exports = { checkout };
"""

SCRIPTS_FORMAT = """'use strict';
// A build script helper with the same file name as src/lib/format.js.
module.exports = { money: (v) => `$${v}` };
"""

CODEOWNERS = """*                 @acme/web
/src/orders/      @frank-fischer
src/lib/**        @acme/platform grace@example.com
"""

DOCS_CODEOWNERS = "*  @acme/docs-only\n"

SPEC = RepoSpec(
    name="jsorders",
    language="javascript",
    run=["node", "src/index.js"],
    deploy_prefix="app",
    release="v1.2.0",
    commits=[
        Commit(
            "initial",
            ERIN,
            "Order service",
            {
                "package.json": '{"name": "jsorders", "version": "1.0.0"}\n',
                "src/index.js": INDEX,
                "src/report.js": REPORT,
                "src/orders/total.js": TOTAL_V1,
                "src/lib/format.js": FORMAT_V1,
                "src/checkout.js": CHECKOUT,
                "scripts/lib/format.js": SCRIPTS_FORMAT,
                ".github/CODEOWNERS": CODEOWNERS,
                "docs/CODEOWNERS": DOCS_CODEOWNERS,
            },
            days_ago=60,
        ),
        Commit("lines", FRANK, "Read order lines", {"src/orders/total.js": TOTAL_V2}, 25),
        Commit(
            "numbers",
            GRACE,
            "Format numbers directly",
            {"src/lib/format.js": FORMAT_V2},
            15,
            tag="v1.2.0",
        ),
        # After the release: shifts every line of total.js down by one.
        Commit("header", HEIDI, "Explain order lines", {"src/orders/total.js": TOTAL_V3}, 5),
    ],
    cases=[
        Case(
            "undefined",
            ["undefined"],
            "src/orders/total.js",
            "lines",
            ["@frank-fischer"],
            output="sentry",
        ),
        Case(
            "format",
            ["format"],
            "src/lib/format.js",
            "numbers",
            ["@acme/platform", "grace@example.com"],
            output="sentry",
        ),
        Case(
            "cause",
            ["cause"],
            "src/lib/format.js",
            "numbers",
            ["@acme/platform", "grace@example.com"],
            output="sentry",
        ),
    ],
)
