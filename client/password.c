/*
 * Password input.  On a terminal, echo is turned off for the line and
 * restored afterwards; otherwise (a pipe, a file) the first line is the
 * password, so scripts and tests can log in non-interactively.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "password.h"
#include "xalloc.h"

char *
password_read(const char *prompt)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) != 0;
	bool echo_off = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			quiet.c_lflag |= ECHONL;
			echo_off =
			    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	}
	n = getline(&line, &cap, stdin);
	if (echo_off)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (n < 0) {
		free(line);
		fputs("pingshen: no password on standard input\n", stderr);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

void
password_free(char *password)
{
	if (password == NULL)
		return;
	for (volatile char *p = password; *p != '\0'; p++)
		*p = '\0';
	free(password);
}
