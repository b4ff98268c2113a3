"""The operator's console: server-rendered pages to look at groups and act on them.

* `access`  who may read and who may act: the login, the signed session cookie, CSRF;
* `queries` what the pages show, read from the store (filters, sparklines, detail);
* `changes` what an operator does (resolve, ignore, reopen, retry, re-analyse, scan),
  each through the lifecycle and written to the audit log;
* `pages`   the routes, rendering the Jinja2 templates in ``web/templates``;
* `headers` the security headers every console page is sent with.
"""
