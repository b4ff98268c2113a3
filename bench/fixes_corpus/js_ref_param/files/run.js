const { clamp } = require("./app");
console.log(clamp(5));
