const format = require("./format");

function label(item) {
  return `${item.name}: ${format.formatPrise(item.cents)}`;
}

module.exports = { label };
