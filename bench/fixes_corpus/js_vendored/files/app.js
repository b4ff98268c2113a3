const { pad } = require("padder");

function row(cells) {
  return cells.map((c) => pad(c, 6)).join("|");
}

module.exports = { row };
