"""The Java repository of the corpus: a billing service with planted bugs.

`Report.java` plays the part of an error SDK: it walks a Throwable's cause chain and
prints a Sentry-protocol event with ``module`` (the class), ``filename`` (``X.java``
only, as the JVM knows it), ``function``, ``lineno`` and ``in_app`` (``com.acme.``).
"""

from __future__ import annotations

from build import Author, Case, Commit, RepoSpec

IVAN = Author("Ivan Ivanov", "ivan@example.com")
JUDY = Author("Judy Jones", "judy@example.com")
KARL = Author("Karl Klein", "karl@example.com")

BASE = "src/main/java/com/acme"

REPORT = r"""package com.acme.billing;

import java.util.ArrayList;
import java.util.List;

final class Report {
    private Report() {}

    private static String q(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c == '\n') b.append("\\n");
            else if (c < 0x20) b.append(' ');
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static String capture(Throwable top) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = top; t != null; t = t.getCause()) chain.add(0, t);
        StringBuilder out = new StringBuilder("{\"platform\":\"java\",\"level\":\"error\",");
        out.append("\"exception\":{\"values\":[");
        for (int i = 0; i < chain.size(); i++) {
            Throwable t = chain.get(i);
            if (i > 0) out.append(',');
            out.append("{\"type\":").append(q(t.getClass().getName()));
            out.append(",\"value\":").append(q(t.getMessage()));
            out.append(",\"stacktrace\":{\"frames\":[");
            StackTraceElement[] st = t.getStackTrace();
            for (int j = st.length - 1; j >= 0; j--) {
                StackTraceElement e = st[j];
                if (j < st.length - 1) out.append(',');
                out.append("{\"module\":").append(q(e.getClassName()));
                out.append(",\"filename\":").append(q(e.getFileName()));
                out.append(",\"function\":").append(q(e.getMethodName()));
                out.append(",\"lineno\":").append(e.getLineNumber());
                out.append(",\"in_app\":").append(e.getClassName().startsWith("com.acme."));
                out.append('}');
            }
            out.append("]}}");
        }
        return out.append("]}}").toString();
    }
}
"""

MAIN = """package com.acme.billing;

import com.acme.util.Strings;

public final class Main {
    private Main() {}

    static Object run(String name) {
        if (name.equals("npe")) return new Invoice(null).customerKey();
        if (name.equals("bounds")) return Strings.initials("x");
        if (name.equals("wrapped")) return Invoice.bill(new Invoice(null));
        throw new IllegalArgumentException("unknown case " + name);
    }

    public static void main(String[] args) {
        try {
            run(args[0]);
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.out.println(Report.capture(e));
            System.exit(1);
        }
    }
}
"""

INVOICE_V1 = """package com.acme.billing;

public final class Invoice {
    private final String customer;

    public Invoice(String customer) {
        this.customer = customer;
    }

    public String customerKey() {
        return customer == null ? "anonymous" : customer.trim().toLowerCase();
    }

    static String bill(Invoice invoice) {
        try {
            return "bill:" + invoice.customerKey();
        } catch (NullPointerException e) {
            throw new IllegalStateException("cannot bill invoice", e);
        }
    }
}
"""

INVOICE_V2 = INVOICE_V1.replace(
    '        return customer == null ? "anonymous" : customer.trim().toLowerCase();',
    "        // Every invoice has a customer since the signup change.\n"
    "        return customer.trim().toLowerCase(); // BUG:npe BUG:wrapped",
)

STRINGS_V1 = """package com.acme.util;

public final class Strings {
    private Strings() {}

    public static String initials(String name) {
        return name.isEmpty() ? "" : name.substring(0, 1);
    }
}
"""

STRINGS_V2 = """package com.acme.util;

public final class Strings {
    private Strings() {}

    public static String initials(String name) {
        return name.substring(0, 2).toUpperCase(); // BUG:bounds
    }
}
"""

LEGACY_STRINGS = """package com.acme.legacy;

/** Same simple name as com.acme.util.Strings, on purpose. */
public final class Strings {
    private Strings() {}

    public static String initials(String name) {
        return name.substring(0, 2);
    }
}
"""

CODEOWNERS = """# Billing
*                       @acme/backend
**/billing/             @ivan-ivanov
src/main/java/com/acme/util/  judy@example.com @acme/platform
"""

SPEC = RepoSpec(
    name="jbilling",
    language="java",
    run=[
        "java",
        "-XX:TieredStopAtLevel=1",
        "-Xshare:auto",
        "-cp",
        "classes",
        "com.acme.billing.Main",
    ],
    deploy_prefix="opt/billing/build",
    build=[["sh", "-c", "javac -d classes $(find src -name '*.java')"]],
    commits=[
        Commit(
            "initial",
            KARL,
            "Billing service",
            {
                "pom.xml": "<project><artifactId>billing</artifactId></project>\n",
                f"{BASE}/billing/Main.java": MAIN,
                f"{BASE}/billing/Report.java": REPORT,
                f"{BASE}/billing/Invoice.java": INVOICE_V1,
                f"{BASE}/util/Strings.java": STRINGS_V1,
                f"{BASE}/legacy/Strings.java": LEGACY_STRINGS,
                "docs/CODEOWNERS": CODEOWNERS,
            },
            days_ago=90,
        ),
        Commit(
            "npe", IVAN, "Customers are mandatory", {f"{BASE}/billing/Invoice.java": INVOICE_V2}, 12
        ),
        Commit("bounds", JUDY, "Two-letter initials", {f"{BASE}/util/Strings.java": STRINGS_V2}, 8),
    ],
    cases=[
        Case(
            "npe", ["npe"], f"{BASE}/billing/Invoice.java", "npe", ["@ivan-ivanov"], output="sentry"
        ),
        Case(
            "bounds",
            ["bounds"],
            f"{BASE}/util/Strings.java",
            "bounds",
            ["judy@example.com", "@acme/platform"],
            output="sentry",
        ),
        Case(
            "wrapped",
            ["wrapped"],
            f"{BASE}/billing/Invoice.java",
            "npe",
            ["@ivan-ivanov"],
            output="sentry",
        ),
    ],
)
