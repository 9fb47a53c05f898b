/*
 * Reading a password: from the terminal without echo when standard input
 * is one, else the first line of standard input.
 */
#ifndef PINGSHEN_PASSWORD_H
#define PINGSHEN_PASSWORD_H

/*
 * Prompts with prompt (on standard error, terminal only) and returns the
 * password without its line end (caller frees with password_free), or
 * NULL with a message when nothing could be read.
 */
char *password_read(const char *prompt);
/* Overwrites and frees a password. */
void password_free(char *password);

#endif
