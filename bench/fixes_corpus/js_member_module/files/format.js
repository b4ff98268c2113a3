function formatPrice(cents) {
  return `$${(cents / 100).toFixed(2)}`;
}

function formatDate(date) {
  return date.toISOString().slice(0, 10);
}

module.exports = { formatPrice, formatDate };
