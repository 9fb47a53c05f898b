/*
 * The client's configuration and token files under the XDG config folder.
 * Both are written to a fresh temporary file in the same folder (mkstemp
 * creates it 0600) and renamed over the old one, so a reader never sees
 * half a file and the token is never readable by others, not even
 * briefly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "xalloc.h"

char *
config_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	/* The XDG spec: a relative XDG_CONFIG_HOME is invalid, ignore it. */
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/pingshen", xdg);
	if (home != NULL && home[0] != '\0')
		return xasprintf("%s/.config/pingshen", home);
	fputs("pingshen: neither XDG_CONFIG_HOME nor HOME is set\n", stderr);
	return NULL;
}

/* dir/name (caller frees), or NULL. */
static char *
config_path(const char *name)
{
	char *dir = config_dir(), *path;

	if (dir == NULL)
		return NULL;
	path = xasprintf("%s/%s", dir, name);
	free(dir);
	return path;
}

/* Creates path and its missing parents, the last one 0700. */
static int
config_mkdirs(const char *path)
{
	char *copy = xstrdup(path);

	for (char *p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "pingshen: mkdir %s: %s\n", copy,
				strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "pingshen: mkdir %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Replaces the file name in the config folder with text, mode 0600. */
static int
config_write_file(const char *name, const char *text)
{
	char *dir = config_dir(), *tmp = NULL, *path = NULL;
	size_t len = strlen(text), done = 0;
	int fd = -1, rc = -1;

	if (dir == NULL || config_mkdirs(dir) < 0)
		goto out;
	tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
	path = xasprintf("%s/%s", dir, name);
	/* mkstemp: O_CREAT|O_EXCL, mode 0600. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "pingshen: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0)
		goto fail;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "pingshen: writing %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(dir);
	free(tmp);
	free(path);
	return rc;
}

/* The whole file name of the config folder (caller frees), or NULL. */
static char *
config_read_file(const char *name)
{
	char *path = config_path(name), *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f;

	if (path == NULL)
		return NULL;
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return NULL;
	for (;;) {
		size_t n;

		if (cap - len < 512) {
			cap = cap * 2 + 512;
			text = xreallocarray(text, cap, 1);
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	text[len] = '\0';
	return text;
}

int
config_load(char **server, char **ca)
{
	char *text = config_read_file("config"), *line, *save = NULL;

	*server = *ca = NULL;
	if (text == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "server=", 7) == 0 && line[7] != '\0') {
			free(*server);
			*server = xstrdup(line + 7);
		} else if (strncmp(line, "ca=", 3) == 0 && line[3] != '\0') {
			free(*ca);
			*ca = xstrdup(line + 3);
		}
	}
	free(text);
	return 0;
}

int
config_save(const char *server, const char *ca)
{
	char *text = xasprintf("# written by pingshen login\nserver=%s\n%s%s%s",
			       server, ca != NULL ? "ca=" : "",
			       ca != NULL ? ca : "", ca != NULL ? "\n" : "");
	int rc = config_write_file("config", text);

	free(text);
	return rc;
}

char *
config_token_read(void)
{
	char *text = config_read_file("token");

	if (text != NULL) {
		text[strcspn(text, "\r\n")] = '\0';
		if (text[0] == '\0') {
			free(text);
			text = NULL;
		}
	}
	return text;
}

int
config_token_write(const char *token)
{
	char *text = xasprintf("%s\n", token);
	int rc = config_write_file("token", text);

	free(text);
	return rc;
}

int
config_token_remove(void)
{
	char *path = config_path("token");
	int rc = 0;

	if (path == NULL)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "pingshen: removing %s: %s\n", path,
			strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}
