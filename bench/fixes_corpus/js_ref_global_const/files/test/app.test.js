const test = require("node:test");
const assert = require("node:assert");
const { attempts } = require("../app");

test("attempts", () => {
  assert.strictEqual(attempts(1), 2);
  assert.strictEqual(attempts(9), 3);
});
