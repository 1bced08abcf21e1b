/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libgit2, loaded with dlopen when a collector first needs it, and unloaded
 * again by git_libgit2_shutdown when the daemon asks for it: linked into the
 * binary, libgit2 and the TLS, SSH and Kerberos libraries behind it kept
 * about 2 MiB resident in every process, the idle daemon's included.
 *
 * A collector includes this header instead of <git2.h> and calls libgit2 as
 * usual: each function below is redirected to the loaded library's, and
 * git_libgit2_init() loads the library first (returning < 0 with the
 * message set when it cannot). Add a function to EA_GIT2_FNS before using it.
 */
#ifndef EA_UTIL_GIT2_H
#define EA_UTIL_GIT2_H

#include <stdbool.h>

#include <git2.h>

#define EA_GIT2_FNS(X)                                                                             \
    X(git_buf_dispose)                                                                             \
    X(git_commit_author)                                                                           \
    X(git_commit_committer)                                                                        \
    X(git_commit_extract_signature)                                                                \
    X(git_commit_free)                                                                             \
    X(git_commit_lookup)                                                                           \
    X(git_commit_message)                                                                          \
    X(git_commit_parent)                                                                           \
    X(git_commit_parent_id)                                                                        \
    X(git_commit_parentcount)                                                                      \
    X(git_commit_tree)                                                                             \
    X(git_commit_tree_id)                                                                          \
    X(git_config_entry_free)                                                                       \
    X(git_config_free)                                                                             \
    X(git_config_get_entry)                                                                        \
    X(git_config_iterator_free)                                                                    \
    X(git_config_iterator_new)                                                                     \
    X(git_config_next)                                                                             \
    X(git_diff_find_options_init)                                                                  \
    X(git_diff_find_similar)                                                                       \
    X(git_diff_free)                                                                               \
    X(git_diff_get_delta)                                                                          \
    X(git_diff_num_deltas)                                                                         \
    X(git_diff_options_init)                                                                       \
    X(git_diff_tree_to_tree)                                                                       \
    X(git_error_clear)                                                                             \
    X(git_error_last)                                                                              \
    X(git_message_trailer_array_free)                                                              \
    X(git_message_trailers)                                                                        \
    X(git_odb_free)                                                                                \
    X(git_odb_object_data)                                                                         \
    X(git_odb_object_free)                                                                         \
    X(git_odb_object_size)                                                                         \
    X(git_odb_read)                                                                                \
    X(git_oid_tostr)                                                                               \
    X(git_reference_free)                                                                          \
    X(git_reference_name)                                                                          \
    X(git_reference_name_to_id)                                                                    \
    X(git_reference_shorthand)                                                                     \
    X(git_reference_target)                                                                        \
    X(git_remote_list)                                                                             \
    X(git_remote_lookup)                                                                           \
    X(git_repository_config_snapshot)                                                              \
    X(git_repository_free)                                                                         \
    X(git_repository_head)                                                                         \
    X(git_repository_head_detached)                                                                \
    X(git_repository_is_shallow)                                                                   \
    X(git_repository_odb)                                                                          \
    X(git_repository_open_ext)                                                                     \
    X(git_repository_path)                                                                         \
    X(git_repository_workdir)                                                                      \
    X(git_tree_free)                                                                               \
    X(git_libgit2_init)                                                                            \
    X(git_libgit2_shutdown)

struct ea_git2_fns {
#define EA_GIT2_FIELD(f) __typeof__(&f) f;
    EA_GIT2_FNS(EA_GIT2_FIELD)
#undef EA_GIT2_FIELD
};

/** The loaded library's functions (all NULL while it is not loaded). */
extern struct ea_git2_fns ea_git2;

/** Loads libgit2 when it is not loaded, then git_libgit2_init. @return its count, or < 0. */
int ea_git2_init(void);
/** git_libgit2_shutdown; the last one unloads the library when ea_git2_unload_idle(true). */
int ea_git2_shutdown(void);
/** Whether the last shutdown unloads libgit2 (the daemon: yes; one-shot commands: no need). */
void ea_git2_unload_idle(bool on);

#ifndef EA_GIT2_LOADER
#define git_buf_dispose (ea_git2.git_buf_dispose)
#define git_commit_author (ea_git2.git_commit_author)
#define git_commit_committer (ea_git2.git_commit_committer)
#define git_commit_extract_signature (ea_git2.git_commit_extract_signature)
#define git_commit_free (ea_git2.git_commit_free)
#define git_commit_lookup (ea_git2.git_commit_lookup)
#define git_commit_message (ea_git2.git_commit_message)
#define git_commit_parent (ea_git2.git_commit_parent)
#define git_commit_parent_id (ea_git2.git_commit_parent_id)
#define git_commit_parentcount (ea_git2.git_commit_parentcount)
#define git_commit_tree (ea_git2.git_commit_tree)
#define git_commit_tree_id (ea_git2.git_commit_tree_id)
#define git_config_entry_free (ea_git2.git_config_entry_free)
#define git_config_free (ea_git2.git_config_free)
#define git_config_get_entry (ea_git2.git_config_get_entry)
#define git_config_iterator_free (ea_git2.git_config_iterator_free)
#define git_config_iterator_new (ea_git2.git_config_iterator_new)
#define git_config_next (ea_git2.git_config_next)
#define git_diff_find_options_init (ea_git2.git_diff_find_options_init)
#define git_diff_find_similar (ea_git2.git_diff_find_similar)
#define git_diff_free (ea_git2.git_diff_free)
#define git_diff_get_delta (ea_git2.git_diff_get_delta)
#define git_diff_num_deltas (ea_git2.git_diff_num_deltas)
#define git_diff_options_init (ea_git2.git_diff_options_init)
#define git_diff_tree_to_tree (ea_git2.git_diff_tree_to_tree)
#define git_error_clear (ea_git2.git_error_clear)
#define git_error_last (ea_git2.git_error_last)
#define git_message_trailer_array_free (ea_git2.git_message_trailer_array_free)
#define git_message_trailers (ea_git2.git_message_trailers)
#define git_odb_free (ea_git2.git_odb_free)
#define git_odb_object_data (ea_git2.git_odb_object_data)
#define git_odb_object_free (ea_git2.git_odb_object_free)
#define git_odb_object_size (ea_git2.git_odb_object_size)
#define git_odb_read (ea_git2.git_odb_read)
#define git_oid_tostr (ea_git2.git_oid_tostr)
#define git_reference_free (ea_git2.git_reference_free)
#define git_reference_name (ea_git2.git_reference_name)
#define git_reference_name_to_id (ea_git2.git_reference_name_to_id)
#define git_reference_shorthand (ea_git2.git_reference_shorthand)
#define git_reference_target (ea_git2.git_reference_target)
#define git_remote_list (ea_git2.git_remote_list)
#define git_remote_lookup (ea_git2.git_remote_lookup)
#define git_repository_config_snapshot (ea_git2.git_repository_config_snapshot)
#define git_repository_free (ea_git2.git_repository_free)
#define git_repository_head (ea_git2.git_repository_head)
#define git_repository_head_detached (ea_git2.git_repository_head_detached)
#define git_repository_is_shallow (ea_git2.git_repository_is_shallow)
#define git_repository_odb (ea_git2.git_repository_odb)
#define git_repository_open_ext (ea_git2.git_repository_open_ext)
#define git_repository_path (ea_git2.git_repository_path)
#define git_repository_workdir (ea_git2.git_repository_workdir)
#define git_tree_free (ea_git2.git_tree_free)
#define git_libgit2_init ea_git2_init
#define git_libgit2_shutdown ea_git2_shutdown
#endif

#endif
