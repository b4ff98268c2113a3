const test = require("node:test");
const assert = require("node:assert");
const { checkout } = require("../app");

test("checkout", () => {
  assert.strictEqual(checkout([3, 4]), 7);
});
