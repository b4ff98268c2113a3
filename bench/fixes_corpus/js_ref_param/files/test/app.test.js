const test = require("node:test");
const assert = require("node:assert");
const { clamp } = require("../app");

test("clamp", () => {
  assert.strictEqual(clamp(5), 3);
  assert.strictEqual(clamp(2), 2);
});
