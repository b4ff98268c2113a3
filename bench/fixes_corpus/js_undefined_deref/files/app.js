const users = { ada: { name: "Ada" } };

function greeting(login) {
  return "Hello " + users[login].name;
}

module.exports = { greeting };
