/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rendering the report document (report.h) as Markdown, as one
 * self-contained HTML page (no external asset; prints well; evidence in
 * <details>), and as OSCAL 1.0.6 assessment-results.
 */
#include <openssl/rand.h>
#include <string.h>

#include <evidence/version.h>

#include "util/error.h"
#include "report.h"
#include "report_framework.h"
#include "util/buf.h"
#include "util/time.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long num(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

void ea_report_md_cell(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void md_list(FILE *f, const json_t *a)
{
    const json_t *x;
    size_t i;

    json_array_foreach(a, i, x) {
        if (i) fputs(", ", f);
        ea_report_md_cell(f, json_string_value(x));
    }
}

/* evidence.require: "; each of: KINDS (verdict), ..." (every row of requirements). */
static void md_requirements(FILE *f, const json_t *reqs)
{
    const json_t *q;
    size_t i;

    if (!json_array_size(reqs)) return;
    fputs("; each of: ", f);
    json_array_foreach(reqs, i, q) {
        if (i) fputs(", ", f);
        md_list(f, json_object_get(q, "kinds"));
        fprintf(f, " (%s)", json_string_value(json_object_get(q, "verdict")));
    }
}

static const char *verdict_text(const char *v)
{
    if (strcmp(v, "ok") == 0) return "fresh, passing";
    if (strcmp(v, "stale") == 0) return "STALE";
    if (strcmp(v, "missing") == 0) return "MISSING";
    if (strcmp(v, "failing") == 0) return "FAILING";
    return "n/a";
}

int ea_report_write_md(FILE *f, const json_t *r)
{
    const json_t *s = json_object_get(r, "summary"), *soa = json_object_get(r, "soa");
    const json_t *period = json_object_get(r, "period"), *c, *x;
    size_t i, k;

    fprintf(f, "# Statement of Applicability — evidence report\n\n");
    fprintf(f, "| | |\n| --- | --- |\n| Organisation | ");
    ea_report_md_cell(f, str(soa, "organisation"));
    fprintf(f, " |\n| Scope | ");
    ea_report_md_cell(f, str(soa, "scope"));
    fprintf(f, " |\n| Period | %s to %s |\n| Generated | %s by evidence-agent %s |\n",
            json_is_string(json_object_get(period, "since")) ? str(period, "since") : "the start",
            str(period, "until"), str(r, "generated_at"), EA_VERSION);
    fprintf(f, "| Signatures | %s |\n\n",
            json_is_true(json_object_get(r, "signatures_checked"))
                ? "verified against the given keys"
                : "not checked (no --pubkey)");
    fprintf(f,
            "## Summary\n\n| applied | fresh and passing | stale | missing | failing | planned | "
            "excluded | not in the SoA |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    fprintf(f, "| %lld | %lld | %lld | %lld | %lld | %lld | %lld | %lld |\n\n", num(s, "applied"),
            num(s, "ok"), num(s, "stale"), num(s, "missing"), num(s, "failing"), num(s, "planned"),
            num(s, "excluded"), num(s, "not_covered"));
    if (num(s, "records_failing_checks"))
        fprintf(f,
                "**%lld record(s) failed a check (tampered or unreadable); see the controls "
                "marked FAILING.**\n\n",
                num(s, "records_failing_checks"));
    fprintf(f, "## Controls\n\n| Control | Status | Justification | Owner | Implementation | "
               "Evidence | Latest | Results (pass/fail/error) | Verdict |\n"
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    json_array_foreach(json_object_get(r, "controls"), i, c) {
        const json_t *latest = json_object_get(c, "latest"), *res = json_object_get(c, "results");
        fprintf(f, "| %s ", str(c, "id"));
        ea_report_md_cell(f, str(c, "title"));
        fprintf(f, " | %s | ", str(c, "status"));
        ea_report_md_cell(f, str(c, "justification"));
        fputs(" | ", f);
        ea_report_md_cell(f, str(c, "owner"));
        fputs(" | ", f);
        md_list(f, json_object_get(c, "implementation"));
        if (strcmp(str(c, "status"), "applied") == 0) {
            fprintf(f, " | %lld record(s)", num(c, "count"));
            if (json_is_array(json_object_get(c, "evidence_kinds"))) {
                fputs(" of ", f);
                md_list(f, json_object_get(c, "evidence_kinds"));
            }
            md_requirements(f, json_object_get(c, "requirements"));
            fprintf(f, ", max age %s | ", str(c, "max_age"));
            if (json_is_object(latest))
                fprintf(f, "%s %s `%.12s`", str(latest, "time"), str(latest, "kind"),
                        str(latest, "id"));
            else
                fputs("—", f);
            fprintf(f, " | %lld/%lld/%lld | %s%s |\n", num(res, "pass"), num(res, "fail"),
                    num(res, "error"), verdict_text(str(c, "verdict")),
                    json_is_false(json_object_get(c, "verified")) ? " (unverified)" : "");
        } else {
            fputs(" | — | — | — | n/a |\n", f);
        }
    }
    if (json_array_size(json_object_get(r, "not_covered"))) {
        fprintf(f, "\n## Not in the SoA\n\nAn SoA must cover all 93 Annex A controls; these are "
                   "missing: ");
        json_array_foreach(json_object_get(r, "not_covered"), k, x) {
            fprintf(f, "%s%s", k ? ", " : "", json_string_value(x));
        }
        fputs(".\n", f);
    }
    ea_report_frameworks_write_md(f, r);
    return ferror(f) ? ea_fail(EA_EIO, "cannot write the report") : 0;
}

void ea_report_html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,Segoe "
    "UI,Roboto,sans-serif;margin:2rem;color:#1b1f24}"
    "h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}"
    ".meta{color:#57606a;margin-bottom:1rem}"
    ".cards{display:flex;gap:.75rem;flex-wrap:wrap}"
    ".card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem;min-width:7rem}"
    ".card b{display:block;font-size:1.4rem}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.35rem .5rem;"
    "vertical-align:top;text-align:left}th{background:#f6f8fa}"
    ".v{font-weight:600;white-space:nowrap}.ok{color:#1a7f37}.stale{color:#9a6700}"
    ".missing,.failing{color:#cf222e}.na{color:#57606a}"
    "details summary{cursor:pointer;color:#0969da}code{font-size:12px}"
    "@media print{body{margin:0}details{display:block}details>summary{display:none}"
    "details:not([open])>*{display:block}tr{break-inside:avoid}}";

int ea_report_write_html(FILE *f, const json_t *r)
{
    const json_t *s = json_object_get(r, "summary"), *soa = json_object_get(r, "soa");
    const json_t *period = json_object_get(r, "period"), *c, *e, *x;
    size_t i, k;

    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
               "<title>SoA evidence report — ");
    ea_report_html_text(f, str(soa, "organisation"));
    fprintf(f,
            "</title><style>%s</style></head><body>\n<h1>Statement of Applicability — "
            "evidence report</h1>\n<div class=\"meta\">",
            css);
    ea_report_html_text(f, str(soa, "organisation"));
    fputs(" · ", f);
    ea_report_html_text(f, str(soa, "scope"));
    fprintf(f, "<br>Period %s to %s · generated %s by evidence-agent %s · signatures %s</div>\n",
            json_is_string(json_object_get(period, "since")) ? str(period, "since") : "the start",
            str(period, "until"), str(r, "generated_at"), EA_VERSION,
            json_is_true(json_object_get(r, "signatures_checked")) ? "verified" : "not checked");
    fprintf(f,
            "<h2>Summary</h2>\n<div class=\"cards\" id=\"summary\">"
            "<div class=\"card\"><b>%lld</b>applied</div>"
            "<div class=\"card ok\"><b>%lld</b>fresh and passing</div>"
            "<div class=\"card stale\"><b>%lld</b>stale</div>"
            "<div class=\"card missing\"><b>%lld</b>missing</div>"
            "<div class=\"card failing\"><b>%lld</b>failing</div>"
            "<div class=\"card na\"><b>%lld</b>planned</div>"
            "<div class=\"card na\"><b>%lld</b>excluded</div>"
            "<div class=\"card na\"><b>%lld</b>not in the SoA</div></div>\n",
            num(s, "applied"), num(s, "ok"), num(s, "stale"), num(s, "missing"), num(s, "failing"),
            num(s, "planned"), num(s, "excluded"), num(s, "not_covered"));
    fputs("<h2>Controls</h2>\n<table id=\"controls\"><thead><tr><th>Control</th><th>Status</th>"
          "<th>Justification</th><th>Owner</th><th>Implementation</th><th>Evidence</th>"
          "<th>Verdict</th></tr></thead><tbody>\n",
          f);
    json_array_foreach(json_object_get(r, "controls"), i, c) {
        const char *v = str(c, "verdict");
        const json_t *res = json_object_get(c, "results");
        fprintf(f, "<tr id=\"%s\"><td><b>%s</b> ", str(c, "id"), str(c, "id"));
        ea_report_html_text(f, str(c, "title"));
        fprintf(f, "</td><td>%s</td><td>", str(c, "status"));
        ea_report_html_text(f, str(c, "justification"));
        fputs("</td><td>", f);
        ea_report_html_text(f, str(c, "owner"));
        fputs("</td><td>", f);
        json_array_foreach(json_object_get(c, "implementation"), k, x) {
            if (k) fputs("<br>", f);
            ea_report_html_text(f, json_string_value(x));
        }
        fputs("</td><td>", f);
        if (strcmp(str(c, "status"), "applied") == 0) {
            fprintf(f,
                    "<details><summary>%lld record(s), %lld pass / %lld fail / %lld error, max "
                    "age %s</summary><ul>",
                    num(c, "count"), num(res, "pass"), num(res, "fail"), num(res, "error"),
                    str(c, "max_age"));
            json_array_foreach(json_object_get(c, "requirements"), k, e) {
                const json_t *y;
                size_t j;
                fputs("<li class=\"req\">required: ", f);
                json_array_foreach(json_object_get(e, "kinds"), j, y) {
                    if (j) fputs(" or ", f);
                    ea_report_html_text(f, json_string_value(y));
                }
                fprintf(f, ": %s</li>", verdict_text(str(e, "verdict")));
            }
            json_array_foreach(json_object_get(c, "evidence"), k, e) {
                fprintf(f, "<li>%s <code>%.12s</code> %s %s%s ", str(e, "time"), str(e, "id"),
                        str(e, "kind"), str(e, "result"),
                        json_is_true(json_object_get(e, "expired")) ? " EXPIRED" : "");
                ea_report_html_text(f, json_is_string(json_object_get(e, "problem"))
                                           ? str(e, "problem")
                                           : str(e, "summary"));
                fputs("</li>", f);
            }
            fputs("</ul></details>", f);
        } else {
            fputs("—", f);
        }
        fprintf(f, "</td><td class=\"v %s\">%s</td></tr>\n", strcmp(v, "n/a") == 0 ? "na" : v,
                verdict_text(v));
    }
    fputs("</tbody></table>\n", f);
    if (json_array_size(json_object_get(r, "not_covered"))) {
        fputs("<h2>Not in the SoA</h2>\n<p id=\"not-covered\">An SoA must cover all 93 Annex A "
              "controls; these are missing: ",
              f);
        json_array_foreach(json_object_get(r, "not_covered"), k, x) {
            fprintf(f, "%s%s", k ? ", " : "", json_string_value(x));
        }
        fputs(".</p>\n", f);
    }
    ea_report_frameworks_write_html(f, r);
    fputs("</body></html>\n", f);
    return ferror(f) ? ea_fail(EA_EIO, "cannot write the report") : 0;
}

/* A random (version 4) UUID, as OSCAL wants for every object. */
static int uuid4(char out[37])
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) return ea_fail(EA_ERROR, "no randomness from OpenSSL");
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

/*
 * The start of the result: --since when given, else the oldest record the result lists,
 * else the end less the longest max_age of the SoA (the window a record must fall in to be
 * fresh). Never equal to the end: a result covers a period.
 */
static int64_t oscal_start(const json_t *r, int64_t end_us)
{
    const json_t *period = json_object_get(r, "period"), *c, *e;
    int64_t start = end_us, t, longest = 0;
    size_t i, k;

    if (ea_time_parse(&t, str(period, "since"), false) == 0 && t < end_us) return t;
    ea_error_clear();
    json_array_foreach(json_object_get(r, "controls"), i, c) {
        if (ea_duration_parse(&t, str(c, "max_age")) == 0 && t > longest) longest = t;
        if (strcmp(str(c, "status"), "excluded") == 0) continue;
        json_array_foreach(json_object_get(c, "evidence"), k, e) {
            if (ea_time_parse(&t, str(e, "time"), false) == 0 && t < start) start = t;
        }
    }
    ea_error_clear();
    if (start < end_us) return start;
    return end_us - (longest > 0 ? longest : 86400LL * 1000000);
}

/*
 * OSCAL 1.0.6 assessment-results. Applied and planned controls are reviewed, one finding
 * each (satisfied only with fresh, passing evidence; a planned control is not-satisfied
 * with implementation-status planned). Excluded controls are OSCAL's not applicable:
 * listed under exclude-controls with their justifications, and given no finding. There is
 * no OSCAL assessment plan: import-ap points at a back-matter resource that says so and
 * names the SoA (another resource), rather than at the SoA file as if it were one.
 */
int ea_report_write_oscal(FILE *f, const json_t *r)
{
    const json_t *soa = json_object_get(r, "soa"), *period = json_object_get(r, "period"), *c, *e;
    json_t *observations = json_array(), *findings = json_array(), *include = json_array();
    json_t *exclude = json_array(), *selection = NULL;
    json_t *doc = NULL;
    struct ea_buf why;
    char id[37], ar_id[37], res_id[37], ap_id[37], soa_id[37], ap_href[40];
    char start_text[EA_TIME_TEXT_MAX];
    int64_t end_us = 0;
    size_t i, k;
    int rc = uuid4(ar_id);

    ea_buf_init(&why, 0);
    if (rc == 0) rc = uuid4(res_id);
    if (rc == 0) rc = uuid4(ap_id);
    if (rc == 0) rc = uuid4(soa_id);
    if (rc == 0 && (rc = ea_time_parse(&end_us, str(period, "until"), false)) == 0)
        rc = ea_time_format_rfc3339(start_text, oscal_start(r, end_us));
    snprintf(ap_href, sizeof(ap_href), "#%s", ap_id);
    json_array_foreach(json_object_get(r, "controls"), i, c) {
        const char *v = str(c, "verdict"), *status = str(c, "status");
        json_t *related, *finding;
        char desc[1024];
        if (rc < 0) break;
        if (strcmp(status, "excluded") == 0) {
            json_array_append_new(exclude, json_pack("{s:s}", "control-id", str(c, "id")));
            rc = ea_buf_printf(
                &why, "%s%s (%s): %s", why.len ? "\n" : "", str(c, "id"), str(c, "title"),
                *str(c, "justification") ? str(c, "justification") : "no justification given");
            continue;
        }
        if (!(related = json_array())) break;
        json_array_append_new(include, json_pack("{s:s}", "control-id", str(c, "id")));
        json_array_foreach(json_object_get(c, "evidence"), k, e) {
            json_t *obs;
            if ((rc = uuid4(id)) < 0) break;
            obs = json_pack("{s:s, s:s, s:s, s:[s], s:s, s:[{s:s, s:s}]}", "uuid", id, "title",
                            str(e, "id"), "description",
                            json_is_string(json_object_get(e, "problem"))
                                ? str(e, "problem")
                                : (*str(e, "summary") ? str(e, "summary") : str(e, "kind")),
                            "methods", "TEST", "collected", str(e, "time"), "relevant-evidence",
                            "href", str(e, "key"), "description",
                            "the signed envelope in the evidence store");
            json_array_append_new(observations, obs);
            json_array_append_new(related, json_pack("{s:s}", "observation-uuid", id));
        }
        if (rc < 0 || (rc = uuid4(id)) < 0) {
            json_decref(related);
            break;
        }
        snprintf(desc, sizeof(desc), "%s (%s): %s; %lld record(s) in the period; verdict: %s.",
                 str(c, "id"), status,
                 *str(c, "justification") ? str(c, "justification") : "no justification given",
                 num(c, "count"), verdict_text(v));
        finding = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:{s:s}}}", "uuid", id, "title",
                            str(c, "title"), "description", desc, "target", "type", "objective-id",
                            "target-id", str(c, "id"), "status", "state",
                            strcmp(v, "ok") == 0 ? "satisfied" : "not-satisfied");
        if (finding && strcmp(status, "planned") == 0)
            json_object_set_new(json_object_get(finding, "target"), "implementation-status",
                                json_pack("{s:s}", "state", "planned"));
        if (finding && json_array_size(related))
            json_object_set(finding, "related-observations", related);
        json_decref(related);
        json_array_append_new(findings, finding);
    }
    if (rc == 0) {
        selection = json_object();
        if (!selection ||
            (json_array_size(include) &&
             json_object_set(selection, "include-controls", include) < 0) ||
            (json_array_size(exclude) &&
             (json_object_set(selection, "exclude-controls", exclude) < 0 ||
              json_object_set_new(selection, "remarks",
                                  json_sprintf("Excluded by the Statement of Applicability (not "
                                               "applicable), with its justifications:\n%s",
                                               why.data)) < 0)))
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        json_t *result = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:{s:[O]}, s:o, s:o}", "uuid", res_id, "title",
            "Evidence of the Statement of Applicability", "description",
            "Per control of the SoA: the signed evidence records of the period, and whether "
            "fresh, passing evidence exists.",
            "start", start_text, "end", str(period, "until"), "reviewed-controls",
            "control-selections", selection, "observations", json_incref(observations), "findings",
            json_incref(findings));
        if (result && json_array_size(observations) == 0) json_object_del(result, "observations");
        if (result && json_array_size(findings) == 0) json_object_del(result, "findings");
        doc = result
                  ? json_pack("{s:{s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:[o], "
                              "s:{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:[{s:s}]}]}}}",
                              "assessment-results", "uuid", ar_id, "metadata", "title",
                              "SoA evidence report", "last-modified", str(r, "generated_at"),
                              "version", "1", "oscal-version", "1.0.6", "import-ap", "href",
                              ap_href, "remarks",
                              "No OSCAL assessment plan: what was assessed is the Statement of "
                              "Applicability (see back-matter) against the signed evidence store.",
                              "results", result, "back-matter", "resources", "uuid", ap_id, "title",
                              "Assessment plan", "description",
                              "No OSCAL assessment plan was used. The plan is the Statement of "
                              "Applicability (the next resource): each applied control is checked "
                              "for fresh, passing, signed evidence of the kinds it names.",
                              "uuid", soa_id, "title", "Statement of Applicability", "description",
                              "The SoA file the report was made from (controls, status, "
                              "justifications, evidence kinds, max_age).",
                              "rlinks", "href", str(soa, "file"))
                  : NULL;
        if (!doc) rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0 && (json_dumpf(doc, f, JSON_INDENT(1)) < 0 || fputc('\n', f) == EOF))
        rc = ea_fail(EA_EIO, "cannot write the report");
    json_decref(doc);
    json_decref(selection);
    json_decref(observations);
    json_decref(findings);
    json_decref(include);
    json_decref(exclude);
    ea_buf_dispose(&why);
    return rc;
}
