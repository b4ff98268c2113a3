const test = require("node:test");
const assert = require("node:assert");
const { greeting } = require("../app");

test("greeting", () => {
  assert.strictEqual(greeting("ada"), "Hello Ada");
});
