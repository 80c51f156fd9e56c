/* Replays a fuzz target's corpus without libFuzzer, so `make check` runs
 * every committed input (crashers included) through the normal and the
 * sanitizer builds. Linked with one fuzz_NAME.c; with no arguments it reads
 * $TS_SRCDIR/tests/fuzz/corpus/NAME/, NAME taken from its own file name
 * (fuzz_NAME); otherwise each argument is a file or a directory. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT (1024 * 1024) /* corpus files are small; larger is a mistake */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX_INPUT];
	FILE *f = fopen(path, "rb");
	uint8_t *copy;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	n = fread(buf, 1, sizeof buf, f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "replay: %s unreadable or over %d bytes\n", path, REPLAY_MAX_INPUT);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* A copy of exactly n bytes, so ASan sees reads past the input. */
	if ((copy = malloc(n > 0 ? n : 1)) == NULL)
		return -1;
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 1;
}

static int replay_path(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int count = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s does not exist\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char child[4096];
		int n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(child, sizeof child, "%s/%s", path, e->d_name);
		if ((n = replay_file(child)) < 0) {
			closedir(d);
			return -1;
		}
		count += n;
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	char corpus[4096];
	const char *self = strrchr(argv[0], '/'), *srcdir = getenv("TS_SRCDIR");
	char *const *paths = argv + 1;
	char *default_paths[1] = {corpus};
	int n_paths = argc - 1, total = 0;

	self = self != NULL ? self + 1 : argv[0];
	if (n_paths == 0) {
		if (strncmp(self, "fuzz_", 5) != 0 || srcdir == NULL) {
			fprintf(stderr, "usage: %s FILE|DIR... (or fuzz_NAME under make check)\n",
				self);
			return 2;
		}
		snprintf(corpus, sizeof corpus, "%s/tests/fuzz/corpus/%s", srcdir, self + 5);
		paths = default_paths;
		n_paths = 1;
	}
	for (int i = 0; i < n_paths; i++) {
		int n = replay_path(paths[i]);

		if (n < 0)
			return 1;
		total += n;
	}
	/* An empty corpus means a wrong path, not a pass. */
	if (total == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	printf("%s: %d inputs replayed\n", self, total);
	return 0;
}
