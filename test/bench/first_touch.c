/*
 * first_touch.c: what a new process pays, on this machine, the first time
 * it reads each page of memory shared with its parent, as a new backend
 * does with PostgreSQL's shared buffers (test/bench/first_touch.sh).
 *
 * The parent maps shared anonymous memory and writes all of it, so every
 * page exists before the child starts.  A child then reads one byte of every
 * 4 kB page twice; a second child does the same after asking the kernel to
 * map all of it at once (MADV_POPULATE_WRITE, Linux 5.14), which removes the
 * page faults (counted, as getrusage's minor faults): whether a first access
 * costs more than its fault is what the two children show.  The second pass
 * is the baseline, the same reads once the process has made them; its one
 * cache line a page (8 MB for 512 MB) may partly stay in the processor's
 * cache, so it is a floor, not a second cold read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE 4096

static double
seconds_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static long
minor_faults(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_minflt;
}

/* one byte of every page; the sum keeps the reads from being optimised out */
static long
read_pages(const volatile char *memory, size_t length)
{
	long		sum = 0;

	for (size_t offset = 0; offset < length; offset += PAGE)
		sum += memory[offset];
	return sum;
}

/*
 * Exits 0 after printing its line, 3 when the kernel has no
 * MADV_POPULATE_WRITE (older than 5.14: the line says so), 1 on another
 * error of madvise.
 */
static void
child_reads(char *memory, size_t length, int populate)
{
	size_t		pages = length / PAGE;
	const char *label = populate ? "after MADV_POPULATE_WRITE:" : "a new process:";
	double		started = seconds_now(),
				populated,
				first,
				second;
	long		sum,
				first_pass_faults;

	if (populate && madvise(memory, length, MADV_POPULATE_WRITE) != 0)
	{
		if (errno == EINVAL)
		{
			printf("  %-28s not supported by this kernel (Linux 5.14 or later)\n", label);
			exit(3);
		}
		fprintf(stderr, "madvise(MADV_POPULATE_WRITE): %s\n", strerror(errno));
		exit(1);
	}
	populated = seconds_now();
	first_pass_faults = minor_faults();
	sum = read_pages(memory, length);
	first = seconds_now();
	first_pass_faults = minor_faults() - first_pass_faults;
	sum += read_pages(memory, length);
	second = seconds_now();
	printf("  %-28s %6.3f us per page first (%ld page faults),"
		   " %6.3f second (%.0f times)%s",
		   label, (first - populated) * 1e6 / pages, first_pass_faults,
		   (second - first) * 1e6 / pages, (first - populated) / (second - first),
		   sum == 2 * (long) pages ? "" : " (bad sum)");
	if (populate)
		printf(", the populate %.0f ms", (populated - started) * 1e3);
	printf("\n");
	exit(0);
}

int
main(int argc, char **argv)
{
	long		megabytes = argc > 1 ? atol(argv[1]) : 1024;
	size_t		length;
	char	   *memory;

	if (argc > 2 || megabytes <= 0 || megabytes > 65536)
	{
		fprintf(stderr, "usage: %s [megabytes, 1 to 65536]\n", argv[0]);
		return 2;
	}
	length = (size_t) megabytes << 20;
	memory = mmap(NULL, length, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (memory == MAP_FAILED)
	{
		fprintf(stderr, "mmap of %ld MB: %s\n", megabytes, strerror(errno));
		return 1;
	}
	memset(memory, 1, length);
	printf("%ld MB shared, %zu pages of %d bytes, read by a child process:\n",
		   megabytes, length / PAGE, PAGE);
	/* or the children would print it again from their copy of the buffer */
	fflush(stdout);
	for (int populate = 0; populate <= 1; populate++)
	{
		pid_t		child = fork();
		int			status;

		if (child < 0)
		{
			fprintf(stderr, "fork: %s\n", strerror(errno));
			return 1;
		}
		if (child == 0)
			child_reads(memory, length, populate);
		if (waitpid(child, &status, 0) < 0)
		{
			fprintf(stderr, "waitpid: %s\n", strerror(errno));
			return 1;
		}
		/* a kernel without MADV_POPULATE_WRITE is said, not an error */
		if (!WIFEXITED(status) ||
			(WEXITSTATUS(status) != 0 && !(populate && WEXITSTATUS(status) == 3)))
		{
			fprintf(stderr, "the child reading %s failed (status %d)\n",
					populate ? "after MADV_POPULATE_WRITE" : "first", status);
			return 1;
		}
	}
	return 0;
}
