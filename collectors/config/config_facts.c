/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Facts of recognised configuration kinds; see config_facts.h.
 *
 *   kubernetes      each object: kind, name, namespace, containers' images
 *                   and whether each is pinned by digest (@sha256:), and the
 *                   pod's privileged / hostNetwork / runAsNonRoot /
 *                   readOnlyRootFilesystem (for Pods and the workloads that
 *                   template them: Deployment, StatefulSet, DaemonSet,
 *                   ReplicaSet, Job, CronJob).
 *   terraform_plan  `terraform show -json`: counts of create, update, delete,
 *                   replace (delete+create in either order) and no-op, and
 *                   the addresses changed (at most 200).
 *   github_actions  declared permissions (workflow and jobs), `uses:` of
 *                   actions not pinned to a full 40-hex commit SHA (local
 *                   ./ and docker:// excluded; third_party when the owner is
 *                   not actions/ or github/), and pull_request_target use.
 *   gitlab_ci       includes not pinned to a commit (remote URLs, project
 *                   includes whose ref is not a SHA), and images not pinned
 *                   by digest.
 */
#include "config_facts.h"

#include <stdbool.h>
#include <string.h>

#include "util/json.h"

#define ADDRESSES_MAX 200

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool is_sha40(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n != 40) return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i])) return false;
    return true;
}

/* The pod spec a workload templates, or NULL. */
static const json_t *pod_spec(const json_t *obj)
{
    const char *kind = str(obj, "kind");
    const json_t *spec = json_object_get(obj, "spec");

    if (!kind) return NULL;
    if (strcmp(kind, "Pod") == 0) return spec;
    if (strcmp(kind, "CronJob") == 0)
        return json_object_get(
            json_object_get(json_object_get(json_object_get(spec, "jobTemplate"), "spec"),
                            "template"),
            "spec");
    if (strcmp(kind, "Deployment") == 0 || strcmp(kind, "StatefulSet") == 0 ||
        strcmp(kind, "DaemonSet") == 0 || strcmp(kind, "ReplicaSet") == 0 ||
        strcmp(kind, "Job") == 0 || strcmp(kind, "ReplicationController") == 0)
        return json_object_get(json_object_get(spec, "template"), "spec");
    return NULL;
}

/* "true" as YAML writes it (scalars stay strings) or JSON true. */
static bool truthy(const json_t *v)
{
    const char *s = json_string_value(v);
    return json_is_true(v) || (s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0));
}

static json_t *k8s_object(const json_t *obj)
{
    const json_t *meta = json_object_get(obj, "metadata"), *ps = pod_spec(obj), *c;
    json_t *o = json_pack("{s:o, s:o, s:o}", "kind", ea_json_text(obj, "kind"), "name",
                          ea_json_text(meta, "name"), "namespace", ea_json_text(meta, "namespace"));
    json_t *images = json_array();
    bool privileged = false, ro_all = true, any = false;
    bool non_root_pod =
        truthy(json_object_get(json_object_get(ps, "securityContext"), "runAsNonRoot"));
    bool non_root_all = true;
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    size_t i;

    if (!o || !images) {
        json_decref(o);
        json_decref(images);
        return NULL;
    }
    for (size_t l = 0; ps && l < 3; l++) {
        json_array_foreach(json_object_get(ps, lists[l]), i, c) {
            const json_t *sc = json_object_get(c, "securityContext");
            const char *image = str(c, "image");
            any = true;
            if (image)
                json_array_append_new(
                    images, json_pack("{s:o, s:b}", "image", ea_json_text(c, "image"),
                                      "pinned_by_digest", strstr(image, "@sha256:") != NULL));
            privileged |= truthy(json_object_get(sc, "privileged"));
            ro_all &= truthy(json_object_get(sc, "readOnlyRootFilesystem"));
            if (json_object_get(sc, "runAsNonRoot"))
                non_root_all &= truthy(json_object_get(sc, "runAsNonRoot"));
            else
                non_root_all &= non_root_pod;
        }
    }
    if (ps) {
        json_object_set_new(o, "images", images);
        json_object_set_new(o, "privileged", json_boolean(privileged));
        json_object_set_new(o, "host_network",
                            json_boolean(truthy(json_object_get(ps, "hostNetwork"))));
        json_object_set_new(o, "run_as_non_root", json_boolean(any && non_root_all));
        json_object_set_new(o, "read_only_root_filesystem", json_boolean(any && ro_all));
    } else {
        json_decref(images);
    }
    return o;
}

static json_t *kubernetes(const json_t *docs)
{
    json_t *objects = json_array();
    const json_t *d, *item;
    size_t i, k;

    json_array_foreach(docs, i, d) {
        if (str(d, "kind") && strcmp(str(d, "kind"), "List") == 0) { /* kind: List holds items */
            json_array_foreach(json_object_get(d, "items"), k, item)
                json_array_append_new(objects, k8s_object(item));
        } else if (str(d, "apiVersion") && str(d, "kind")) {
            json_array_append_new(objects, k8s_object(d));
        }
    }
    return json_pack("{s:o}", "objects", objects);
}

static json_t *terraform_plan(const json_t *plan)
{
    long create = 0, update = 0, del = 0, replace = 0, noop = 0;
    json_t *addresses = json_array();
    const json_t *rc;
    size_t i;
    bool truncated = false;

    json_array_foreach(json_object_get(plan, "resource_changes"), i, rc) {
        const json_t *actions = json_object_get(json_object_get(rc, "change"), "actions");
        const char *a0 = json_string_value(json_array_get(actions, 0));
        const char *a1 = json_string_value(json_array_get(actions, 1));
        bool changed = true;
        if (a0 && a1)
            replace++; /* ["delete","create"] or ["create","delete"] */
        else if (a0 && strcmp(a0, "create") == 0)
            create++;
        else if (a0 && strcmp(a0, "update") == 0)
            update++;
        else if (a0 && strcmp(a0, "delete") == 0)
            del++;
        else {
            noop++;
            changed = false;
        }
        if (changed && str(rc, "address")) {
            if (json_array_size(addresses) < ADDRESSES_MAX)
                json_array_append_new(addresses, ea_json_text(rc, "address"));
            else
                truncated = true;
        }
    }
    return json_pack("{s:o, s:i, s:i, s:i, s:i, s:i, s:o, s:b}", "terraform_version",
                     ea_json_text(plan, "terraform_version"), "create", (int)create, "update",
                     (int)update, "delete", (int)del, "replace", (int)replace, "no_op", (int)noop,
                     "addresses_changed", addresses, "addresses_truncated", truncated);
}

static void uses_of(json_t *unpinned, const json_t *steps)
{
    const json_t *st;
    size_t i;

    json_array_foreach(steps, i, st) {
        const char *uses = str(st, "uses"), *at;
        if (!uses || strncmp(uses, "./", 2) == 0 || strncmp(uses, "docker://", 9) == 0) continue;
        at = strrchr(uses, '@');
        if (at && is_sha40(at + 1)) continue;
        json_array_append_new(
            unpinned,
            json_pack("{s:o, s:b}", "uses", ea_json_text(st, "uses"), "third_party",
                      strncmp(uses, "actions/", 8) != 0 && strncmp(uses, "github/", 7) != 0));
    }
}

static json_t *github_actions(const json_t *wf)
{
    const json_t *on = json_object_get(wf, "on"), *job;
    json_t *unpinned = json_array(), *job_perms = json_object();
    const char *name;
    bool prt = false;

    if (!on) on = json_object_get(wf, "true"); /* YAML 1.1 reads a bare on: key as true */
    if (json_is_string(on))
        prt = strcmp(json_string_value(on), "pull_request_target") == 0;
    else if (json_is_array(on)) {
        const json_t *e;
        size_t i;
        json_array_foreach(on, i, e)
            prt |= json_is_string(e) && strcmp(json_string_value(e), "pull_request_target") == 0;
    } else
        prt = json_object_get(on, "pull_request_target") != NULL;
    json_object_foreach((json_t *)json_object_get(wf, "jobs"), name, job) {
        uses_of(unpinned, json_object_get(job, "steps"));
        if (str(job, "uses")) { /* a reusable workflow */
            json_t *one = json_pack("[{s:O}]", "uses", json_object_get(job, "uses"));
            uses_of(unpinned, one);
            json_decref(one);
        }
        if (json_object_get(job, "permissions"))
            json_object_set(job_perms, name, json_object_get(job, "permissions"));
    }
    return json_pack("{s:O?, s:o, s:o, s:b}", "permissions", json_object_get(wf, "permissions"),
                     "job_permissions", job_perms, "unpinned_actions", unpinned,
                     "pull_request_target", prt);
}

static json_t *gitlab_ci(const json_t *ci)
{
    json_t *includes = json_array(), *images = json_array();
    const json_t *inc = json_object_get(ci, "include"), *e, *job;
    const char *name;
    size_t i;

    json_t *list = json_is_array(inc) ? json_incref((json_t *)inc)
                   : inc              ? json_pack("[O]", inc)
                                      : json_array();

    json_array_foreach(list, i, e) {
        const char *remote = str(e, "remote"), *project = str(e, "project"), *ref = str(e, "ref");
        if (json_is_string(e) && strncmp(json_string_value(e), "http", 4) == 0)
            json_array_append_new(includes, json_copy((json_t *)e));
        else if (remote)
            json_array_append_new(includes, ea_json_text(e, "remote"));
        else if (project && !is_sha40(ref))
            json_array_append_new(includes,
                                  json_sprintf("%s@%s", project, ref ? ref : "(default branch)"));
    }
    json_decref(list);
    json_object_foreach((json_t *)ci, name, job) {
        const json_t *img = strcmp(name, "image") == 0 || strcmp(name, "default") == 0
                                ? (strcmp(name, "image") == 0 ? job : json_object_get(job, "image"))
                                : json_object_get(job, "image");
        const char *image = json_is_string(img) ? json_string_value(img) : str(img, "name");
        if (image && !strstr(image, "@sha256:"))
            json_array_append_new(images, json_sprintf("%s: %s", name, image));
    }
    return json_pack("{s:o, s:o}", "unpinned_includes", includes, "unpinned_images", images);
}

const char *ea_config_kind(const char *path, const json_t *docs)
{
    const json_t *d0 = json_array_get(docs, 0), *d;
    const char *base = strrchr(path, '/');
    size_t i;

    base = base ? base + 1 : path;
    if (json_is_object(d0) && json_object_get(d0, "resource_changes") &&
        json_object_get(d0, "format_version"))
        return "terraform_plan";
    if (strstr(path, ".github/workflows/") && json_is_object(d0) && json_object_get(d0, "jobs"))
        return "github_actions";
    if (strcmp(base, ".gitlab-ci.yml") == 0 || strcmp(base, ".gitlab-ci.yaml") == 0)
        return "gitlab_ci";
    json_array_foreach(docs, i, d) {
        if (str(d, "apiVersion") && str(d, "kind")) return "kubernetes";
    }
    return "other";
}

json_t *ea_config_facts(const char *kind, const json_t *docs)
{
    const json_t *d0 = json_array_get(docs, 0);

    if (strcmp(kind, "kubernetes") == 0) return kubernetes(docs);
    if (strcmp(kind, "terraform_plan") == 0) return terraform_plan(d0);
    if (strcmp(kind, "github_actions") == 0) return github_actions(d0);
    if (strcmp(kind, "gitlab_ci") == 0) return gitlab_ci(d0);
    return json_null();
}
