const MAX_RETRIES = 3;

function attempts(failures) {
  return Math.min(failures + 1, MAX_RETRIE);
}

module.exports = { attempts };
