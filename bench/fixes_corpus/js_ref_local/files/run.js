const app = require("./app");
console.log(app.total([1, 2]));
