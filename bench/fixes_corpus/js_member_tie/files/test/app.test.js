const test = require("node:test");
const assert = require("node:assert");
const { apply } = require("../app");

test("apply", () => {
  assert.strictEqual(apply(1, 2), 3);
});
