const { attempts } = require("./app");
console.log(attempts(1));
