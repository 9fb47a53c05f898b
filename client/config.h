/*
 * The client's files in $XDG_CONFIG_HOME/pingshen/ (default
 * ~/.config/pingshen/): `config` (lines "server=URL" and "ca=FILE") and
 * `token` (the session token, mode 0600, written to a private temporary
 * file and renamed into place).  Functions return 0 on success and -1 with
 * a message on standard error.
 */
#ifndef PINGSHEN_CONFIG_H
#define PINGSHEN_CONFIG_H

/* The folder, without a trailing slash (caller frees), or NULL when
 * neither XDG_CONFIG_HOME nor HOME is set. */
char *config_dir(void);
/*
 * Reads the config file: *server and *ca (caller frees each) are set to
 * what it says, or NULL when it says nothing or does not exist.
 */
int config_load(char **server, char **ca) __attribute__((warn_unused_result));
/* Writes the config file (ca may be NULL), creating the folder (0700). */
int config_save(const char *server, const char *ca)
    __attribute__((warn_unused_result));
/* The stored token (caller frees), or NULL when there is none. */
char *config_token_read(void);
/* Stores token with mode 0600, atomically. */
int config_token_write(const char *token) __attribute__((warn_unused_result));
/* Removes the token file; 0 also when there was none. */
int config_token_remove(void) __attribute__((warn_unused_result));

#endif
