/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framework reports; see report_framework.h. A pure function of the SoA
 * report and the compiled crosswalk: no store is read here, so every
 * framework says exactly what the Annex A report says. A control mapped to a
 * requirement by several sources counts once in its verdict, and every row
 * is listed with its own relationship, confidence and source. A requirement
 * answered only through low-confidence rows says so next to its verdict.
 */
#include "report_framework.h"
#include "report.h"

#include <string.h>

#include <evidence/version.h>

#include "util/buf.h"
#include "util/error.h"

static const char caveat[] =
    "A mapping is guidance, not certification: 'related' means the source says the Annex A "
    "control and the requirement correspond, not that one satisfies the other; 'low' "
    "confidence rows are transitive hints.";

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long num(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static const json_t *soa_row(const json_t *report, const char *id)
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(report, "controls"), i, c) {
        if (strcmp(str(c, "id"), id) == 0) return c;
    }
    return NULL;
}

static int conf_rank(const char *c)
{
    return strcmp(c, "high") == 0 ? 3 : strcmp(c, "medium") == 0 ? 2 : 1;
}

/* The verdict of one requirement and the note that explains it; appends to note. */
static const char *judge(const json_t *report, const struct ea_fw_requirement *r,
                         struct ea_buf *note)
{
    size_t applied = 0, ok = 0, planned = 0, excluded = 0, unnamed = 0, distinct = 0;

    if (r->nmaps == 0) {
        ea_buf_printf(note, "no Annex A control is mapped to it in the reference data; not "
                            "judged");
        return "unmapped";
    }
    for (size_t i = 0; i < r->nmaps; i++) {
        const json_t *c;
        const char *status;
        bool again = false;

        for (size_t k = 0; k < i && !again; k++) again = r->maps[k].control == r->maps[i].control;
        if (again) continue;
        distinct++;
        c = soa_row(report, r->maps[i].control->id);
        status = c ? str(c, "status") : "";
        if (!c) {
            unnamed++;
        } else if (strcmp(status, "applied") == 0) {
            applied++;
            ok += strcmp(str(c, "verdict"), "ok") == 0;
        } else if (strcmp(status, "planned") == 0) {
            planned++;
        } else {
            excluded++;
        }
    }
    if (applied) {
        ea_buf_printf(note, "%zu of %zu applied control%s ok", ok, applied,
                      applied == 1 ? "" : "s");
        if (planned) ea_buf_printf(note, "; %zu planned", planned);
        if (excluded) ea_buf_printf(note, "; %zu excluded", excluded);
        if (unnamed) ea_buf_printf(note, "; %zu not named by the SoA", unnamed);
        return ok == applied ? "covered" : ok ? "partial" : "uncovered";
    }
    if (planned) {
        ea_buf_printf(note, "no mapped control is applied (%zu planned)", planned);
        return "uncovered";
    }
    if (excluded == distinct) {
        ea_buf_printf(note, "every mapped control is excluded by the SoA");
    } else if (unnamed == distinct) {
        ea_buf_printf(note, "none of its mapped controls is named by the SoA");
    } else {
        ea_buf_printf(note, "its mapped controls are excluded (%zu) or not named by the SoA (%zu)",
                      excluded, unnamed);
    }
    return "n/a";
}

static json_t *mapping_json(const json_t *report, const struct ea_fw_map *m)
{
    const json_t *c = soa_row(report, m->control->id);

    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:I}", "control", m->control->id, "title",
        m->control->title, "relationship", m->relationship, "confidence", m->confidence, "source",
        m->source, "via", m->via, "status", c ? str(c, "status") : "not in the SoA", "verdict",
        c ? str(c, "verdict") : "n/a", "records", (json_int_t)(c ? num(c, "count") : 0));
}

int ea_report_framework_build(json_t **out, const json_t *report, const struct ea_framework *fw)
{
    json_t *reqs = json_array(), *doc = NULL;
    size_t counts[5] = {0}; /* covered, partial, uncovered, n/a, unmapped */
    static const char *const names[5] = {"covered", "partial", "uncovered", "n/a", "unmapped"};
    struct ea_buf note;
    int rc = 0;

    *out = NULL;
    ea_buf_init(&note, 0);
    for (size_t i = 0; reqs && rc == 0 && i < fw->nreqs; i++) {
        const struct ea_fw_requirement *r = &fw->reqs[i];
        json_t *maps = json_array(), *row;
        const char *verdict, *best = NULL;
        size_t k;

        ea_buf_reset(&note);
        verdict = judge(report, r, &note);
        for (k = 0; k < 5 && strcmp(names[k], verdict) != 0; k++) continue;
        counts[k]++;
        for (size_t m = 0; maps && m < r->nmaps; m++) {
            if (!best || conf_rank(r->maps[m].confidence) > conf_rank(best))
                best = r->maps[m].confidence;
            if (json_array_append_new(maps, mapping_json(report, &r->maps[m])) < 0) {
                json_decref(maps);
                maps = NULL;
            }
        }
        row = maps
                  ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:o}", "id", r->id, "group",
                              r->group, "description", r->description, "verdict", verdict, "note",
                              note.data ? note.data : "", "best_confidence", best, "mappings", maps)
                  : NULL;
        if (!row || json_array_append_new(reqs, row) < 0) rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0 && reqs)
        doc = json_pack(
            "{s:i, s:O, s:O, s:O, s:O, s:O, s:{s:s, s:s?, s:s, s:s, s:s}, s:s, "
            "s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:O}",
            "report_version", 1, "generated_at", json_object_get(report, "generated_at"), "soa",
            json_object_get(report, "soa"), "store", json_object_get(report, "store"), "period",
            json_object_get(report, "period"), "signatures_checked",
            json_object_get(report, "signatures_checked"), "framework", "name", fw->name, "alias",
            fw->alias, "title", fw->title, "source", fw->source, "description_note",
            fw->description_note, "caveat", caveat, "summary", "requirements",
            (json_int_t)fw->nreqs, "covered", (json_int_t)counts[0], "partial",
            (json_int_t)counts[1], "uncovered", (json_int_t)counts[2], "n/a", (json_int_t)counts[3],
            "unmapped", (json_int_t)counts[4], "requirements", reqs);
    if (rc == 0 && !doc) rc = ea_fail(EA_ENOMEM, "out of memory");
    json_decref(reqs);
    ea_buf_dispose(&note);
    *out = doc;
    return rc;
}

size_t ea_report_framework_not_covered(const json_t *fr)
{
    const json_t *s = json_object_get(fr, "summary");

    return (size_t)(num(s, "partial") + num(s, "uncovered"));
}

json_t *ea_report_framework_summary(const json_t *fr)
{
    const json_t *fw = json_object_get(fr, "framework"), *r;
    json_t *open = json_array();
    size_t i;

    json_array_foreach(json_object_get(fr, "requirements"), i, r) {
        const char *v = str(r, "verdict");
        if (open && (strcmp(v, "partial") == 0 || strcmp(v, "uncovered") == 0) &&
            json_array_append_new(open, json_string(str(r, "id"))) < 0) {
            json_decref(open);
            open = NULL;
        }
    }
    if (!open) return NULL;
    return json_pack("{s:s, s:s, s:O, s:o}", "name", str(fw, "name"), "title", str(fw, "title"),
                     "summary", json_object_get(fr, "summary"), "not_covered", open);
}

size_t ea_report_frameworks_not_covered(const json_t *report)
{
    const json_t *x;
    size_t i, n = 0;

    json_array_foreach(json_object_get(report, "frameworks"), i, x) {
        n += ea_report_framework_not_covered(x);
    }
    return n;
}

static const char *verdict_text(const char *v)
{
    if (strcmp(v, "covered") == 0) return "covered";
    if (strcmp(v, "partial") == 0) return "PARTIAL";
    if (strcmp(v, "uncovered") == 0) return "UNCOVERED";
    if (strcmp(v, "unmapped") == 0) return "unmapped";
    return "n/a";
}

/* "A.8.32 applied ok (related, medium)", the row's strength always beside it. */
static void md_mapping(FILE *f, const json_t *m)
{
    fprintf(f, "%s %s %s (%s, %s%s%s)", str(m, "control"), str(m, "status"), str(m, "verdict"),
            str(m, "relationship"), str(m, "confidence"),
            json_is_string(json_object_get(m, "via")) ? ", via " : "", str(m, "via"));
}

int ea_report_framework_write_md(FILE *f, const json_t *fr)
{
    const json_t *s = json_object_get(fr, "summary"), *soa = json_object_get(fr, "soa");
    const json_t *fw = json_object_get(fr, "framework"), *period = json_object_get(fr, "period");
    const json_t *r, *m;
    size_t i, k;

    fprintf(f, "# %s — requirements answered from the Annex A evidence\n\n", str(fw, "name"));
    fprintf(f, "| | |\n| --- | --- |\n| Framework | ");
    ea_report_md_cell(f, str(fw, "title"));
    fprintf(f, " |\n| Organisation | ");
    ea_report_md_cell(f, str(soa, "organisation"));
    fprintf(f, " |\n| SoA | ");
    ea_report_md_cell(f, str(soa, "file"));
    fprintf(f, " |\n| Period | %s to %s |\n| Generated | %s by evidence-agent %s |\n\n",
            json_is_string(json_object_get(period, "since")) ? str(period, "since") : "the start",
            str(period, "until"), str(fr, "generated_at"), EA_VERSION);
    fprintf(f, "> %s\n\n", str(fr, "caveat"));
    fprintf(f, "## Summary\n\n| requirements | covered | partial | uncovered | n/a | unmapped |\n"
               "| --- | --- | --- | --- | --- | --- |\n");
    fprintf(f, "| %lld | %lld | %lld | %lld | %lld | %lld |\n\n", num(s, "requirements"),
            num(s, "covered"), num(s, "partial"), num(s, "uncovered"), num(s, "n/a"),
            num(s, "unmapped"));
    fprintf(f, "## Requirements\n\n| Requirement | Verdict | Why | Annex A controls (SoA status, "
               "evidence, relationship, confidence) |\n| --- | --- | --- | --- |\n");
    json_array_foreach(json_object_get(fr, "requirements"), i, r) {
        fprintf(f, "| %s ", str(r, "id"));
        ea_report_md_cell(f, str(r, "description"));
        fprintf(f, " | %s", verdict_text(str(r, "verdict")));
        if (strcmp(str(r, "best_confidence"), "low") == 0)
            fputs(" (low-confidence mapping only)", f);
        fputs(" | ", f);
        ea_report_md_cell(f, str(r, "note"));
        fputs(" | ", f);
        json_array_foreach(json_object_get(r, "mappings"), k, m) {
            if (k) fputs("; ", f);
            md_mapping(f, m);
        }
        fputs(json_array_size(json_object_get(r, "mappings")) ? " |\n" : "— |\n", f);
    }
    return ferror(f) ? ea_fail(EA_EIO, "cannot write the report") : 0;
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,Segoe "
    "UI,Roboto,sans-serif;margin:2rem;color:#1b1f24}"
    "h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}"
    ".meta{color:#57606a;margin-bottom:1rem}.caveat{border-left:4px solid #9a6700;padding:.25rem "
    ".75rem;background:#fff8c5}"
    ".cards{display:flex;gap:.75rem;flex-wrap:wrap}"
    ".card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem;min-width:7rem}"
    ".card b{display:block;font-size:1.4rem}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.35rem .5rem;"
    "vertical-align:top;text-align:left}th{background:#f6f8fa}"
    ".v{font-weight:600;white-space:nowrap}.covered{color:#1a7f37}.partial{color:#9a6700}"
    ".uncovered{color:#cf222e}.na,.unmapped{color:#57606a}ul{margin:0;padding-left:1.1rem}"
    "@media print{body{margin:0}tr{break-inside:avoid}}";

int ea_report_framework_write_html(FILE *f, const json_t *fr)
{
    const json_t *s = json_object_get(fr, "summary"), *soa = json_object_get(fr, "soa");
    const json_t *fw = json_object_get(fr, "framework"), *period = json_object_get(fr, "period");
    const json_t *r, *m;
    size_t i, k;

    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>",
          f);
    ea_report_html_text(f, str(fw, "name"));
    fprintf(f, " — evidence report</title><style>%s</style></head><body>\n<h1>", css);
    ea_report_html_text(f, str(fw, "name"));
    fputs(" — requirements answered from the Annex A evidence</h1>\n<div class=\"meta\">", f);
    ea_report_html_text(f, str(fw, "title"));
    fputs("<br>", f);
    ea_report_html_text(f, str(soa, "organisation"));
    fputs(" · SoA ", f);
    ea_report_html_text(f, str(soa, "file"));
    fprintf(f, "<br>Period %s to %s · generated %s by evidence-agent %s</div>\n",
            json_is_string(json_object_get(period, "since")) ? str(period, "since") : "the start",
            str(period, "until"), str(fr, "generated_at"), EA_VERSION);
    fputs("<p class=\"caveat\" id=\"caveat\">", f);
    ea_report_html_text(f, str(fr, "caveat"));
    fprintf(f,
            "</p>\n<h2>Summary</h2>\n<div class=\"cards\" id=\"summary\">"
            "<div class=\"card\"><b>%lld</b>requirements</div>"
            "<div class=\"card covered\"><b>%lld</b>covered</div>"
            "<div class=\"card partial\"><b>%lld</b>partial</div>"
            "<div class=\"card uncovered\"><b>%lld</b>uncovered</div>"
            "<div class=\"card na\"><b>%lld</b>n/a</div>"
            "<div class=\"card unmapped\"><b>%lld</b>unmapped</div></div>\n",
            num(s, "requirements"), num(s, "covered"), num(s, "partial"), num(s, "uncovered"),
            num(s, "n/a"), num(s, "unmapped"));
    fputs("<h2>Requirements</h2>\n<table id=\"requirements\"><thead><tr><th>Requirement</th>"
          "<th>Verdict</th><th>Annex A controls (SoA status, evidence; relationship, "
          "confidence)</th></tr></thead><tbody>\n",
          f);
    json_array_foreach(json_object_get(fr, "requirements"), i, r) {
        const char *v = str(r, "verdict");
        fputs("<tr id=\"", f);
        ea_report_html_text(f, str(r, "id"));
        fputs("\"><td><b>", f);
        ea_report_html_text(f, str(r, "id"));
        fputs("</b> ", f);
        ea_report_html_text(f, str(r, "description"));
        fprintf(f, "</td><td class=\"v %s\">%s", strcmp(v, "n/a") == 0 ? "na" : v, verdict_text(v));
        if (strcmp(str(r, "best_confidence"), "low") == 0)
            fputs("<br><small>low-confidence mapping only</small>", f);
        fputs("<br><small>", f);
        ea_report_html_text(f, str(r, "note"));
        fputs("</small></td><td><ul>", f);
        json_array_foreach(json_object_get(r, "mappings"), k, m) {
            fprintf(f, "<li><b>%s</b> ", str(m, "control"));
            ea_report_html_text(f, str(m, "title"));
            fprintf(f, ": %s, %s; <i>%s, %s confidence", str(m, "status"), str(m, "verdict"),
                    str(m, "relationship"), str(m, "confidence"));
            if (json_is_string(json_object_get(m, "via"))) {
                fputs(", via ", f);
                ea_report_html_text(f, str(m, "via"));
            }
            fputs("</i></li>", f);
        }
        fputs("</ul></td></tr>\n", f);
    }
    fputs("</tbody></table>\n</body></html>\n", f);
    return ferror(f) ? ea_fail(EA_EIO, "cannot write the report") : 0;
}

void ea_report_frameworks_write_md(FILE *f, const json_t *report)
{
    const json_t *x, *id;
    size_t i, k;

    if (!json_array_size(json_object_get(report, "frameworks"))) return;
    fprintf(f,
            "\n## Frameworks\n\n%s Per requirement: 'evidence-agent report --framework F'.\n\n"
            "| Framework | requirements | covered | partial | uncovered | n/a | unmapped | not "
            "covered |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
            caveat);
    json_array_foreach(json_object_get(report, "frameworks"), i, x) {
        const json_t *s = json_object_get(x, "summary");
        fprintf(f, "| %s ", str(x, "name"));
        ea_report_md_cell(f, str(x, "title"));
        fprintf(f, " | %lld | %lld | %lld | %lld | %lld | %lld | ", num(s, "requirements"),
                num(s, "covered"), num(s, "partial"), num(s, "uncovered"), num(s, "n/a"),
                num(s, "unmapped"));
        json_array_foreach(json_object_get(x, "not_covered"), k, id) {
            if (k) fputs(", ", f);
            ea_report_md_cell(f, json_string_value(id));
        }
        fputs(json_array_size(json_object_get(x, "not_covered")) ? " |\n" : "— |\n", f);
    }
}

void ea_report_frameworks_write_html(FILE *f, const json_t *report)
{
    const json_t *x, *id;
    size_t i, k;

    if (!json_array_size(json_object_get(report, "frameworks"))) return;
    fputs("<h2>Frameworks</h2>\n<p class=\"caveat\">", f);
    ea_report_html_text(f, caveat);
    fputs("</p>\n<table id=\"frameworks\"><thead><tr><th>Framework</th><th>requirements</th>"
          "<th>covered</th><th>partial</th><th>uncovered</th><th>n/a</th><th>unmapped</th>"
          "<th>not covered</th></tr></thead><tbody>\n",
          f);
    json_array_foreach(json_object_get(report, "frameworks"), i, x) {
        const json_t *s = json_object_get(x, "summary");
        fprintf(f, "<tr id=\"fw-%s\"><td><b>%s</b> ", str(x, "name"), str(x, "name"));
        ea_report_html_text(f, str(x, "title"));
        fprintf(f,
                "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>"
                "<td>%lld</td><td>",
                num(s, "requirements"), num(s, "covered"), num(s, "partial"), num(s, "uncovered"),
                num(s, "n/a"), num(s, "unmapped"));
        json_array_foreach(json_object_get(x, "not_covered"), k, id) {
            if (k) fputs(", ", f);
            ea_report_html_text(f, json_string_value(id));
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}
