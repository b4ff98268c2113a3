const LIMIT = 3;
const clamp = (count) => Math.min(cuont, LIMIT);

module.exports = { clamp };
