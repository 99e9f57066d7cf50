/*
 * large_alloc.c: memory of several megabytes (a fit's state as it grows, its
 * compacted copy, a million values to select quantiles from) with fewer page
 * faults.
 *
 * Such memory is mostly new to the process at every query: glibc returns
 * the freed top of its heap to the kernel once it exceeds its trim
 * threshold, and a fit then faults every 4 kB page in again as it first
 * writes it.  On the virtual machines this was measured on a fault costs
 * about 7 microseconds, and a BG/NBD fit over a million customers took
 * 7,200 of them (docs/performance.md).  Marking the chunk's whole 2 MB pages
 * MADV_HUGEPAGE lets the kernel back each with one transparent huge page,
 * faulted once.
 *
 * By default (clv.transparent_huge_pages = auto) only where the kernel backs
 * memory with huge pages when asked (its setting "madvise", read once per
 * backend): at "never" it does not at all, and a growing state's copy into
 * a marked chunk (clv_state_grow_held) would cost time for nothing; at
 * "always" it tries huge pages unasked, and marking was not found faster
 * there (docs/performance.md).  "on" marks whatever the kernel's setting
 * (the tests use it, so that the path runs on any Linux kernel), "off"
 * never.  The chunk is an ordinary palloc chunk of its context either way.
 * Only pages wholly inside it are marked; the marking stays on those
 * addresses once it is freed, while glibc keeps them mapped, so whatever it
 * later places there may be backed by huge pages too (resident 2 MB at a
 * time), and with the kernel's defrag setting at "madvise" a fault there may
 * wait for the kernel to compact memory.  2 MB is the huge page of x86-64
 * and of arm64 with 4 kB pages; where the kernel's is larger, a chunk holds
 * fewer whole ones, or none.  (Kernels since 6.8 may also set huge pages of
 * 2 MB apart, under hugepages-2048kB/; only the main setting is read.)
 */
#include "clv.h"

#include <fcntl.h>
#include <unistd.h>
#ifndef WIN32
#include <sys/mman.h>
#endif

/* clv.transparent_huge_pages: when to mark (a ClvHugePages) */
int			clv_transparent_huge_pages = CLV_HUGE_PAGES_AUTO;

#ifdef MADV_HUGEPAGE

#define HUGE_PAGE_BYTES ((uintptr_t) 2 * 1024 * 1024)
#define THP_SETTING_FILE "/sys/kernel/mm/transparent_hugepage/enabled"

/*
 * Whether the kernel's transparent huge pages are "madvise": the file lists
 * the choices and brackets the one in force.  Read with plain system calls,
 * which cannot raise an error between open and close, and kept for the
 * backend once known (a missing file: no such pages; a failure to open it
 * for another reason, too many open files say, is tried again next time).
 */
static bool
kernel_huge_pages_when_asked(void)
{
	static int	when_asked = -1;

	if (when_asked < 0)
	{
		int			saved_errno = errno;
		char		setting[128] = {0};
		int			fd = open(THP_SETTING_FILE, O_RDONLY);

		if (fd >= 0)
		{
			when_asked = read(fd, setting, sizeof(setting) - 1) > 0 && strstr(setting, "[madvise]") != NULL;
			close(fd);
		}
		else if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
			when_asked = 0;
		errno = saved_errno;
	}
	return when_asked == 1;
}

#endif							/* MADV_HUGEPAGE */

/* Whether clv_alloc_large marks its chunks for huge pages (the comment above). */
bool
clv_large_chunks_marked(void)
{
#ifdef MADV_HUGEPAGE
	switch ((ClvHugePages) clv_transparent_huge_pages)
	{
		case CLV_HUGE_PAGES_ON:
			return true;
		case CLV_HUGE_PAGES_OFF:
			return false;
		case CLV_HUGE_PAGES_AUTO:
			break;
	}
	return kernel_huge_pages_when_asked();
#else
	return false;
#endif
}

/*
 * nbytes in context, which MCXT_ALLOC_HUGE lets pass 1 GB (callers bound
 * their sizes by their states'), its whole huge pages marked for the
 * kernel to back with transparent huge pages when clv_large_chunks_marked.
 */
void *
clv_alloc_large(MemoryContext context, Size nbytes)
{
	void	   *chunk = MemoryContextAllocExtended(context, nbytes, MCXT_ALLOC_HUGE);

#ifdef MADV_HUGEPAGE
	if (clv_large_chunks_marked())
	{
		uintptr_t	first = TYPEALIGN(HUGE_PAGE_BYTES, (uintptr_t) chunk);
		uintptr_t	end = TYPEALIGN_DOWN(HUGE_PAGE_BYTES, (uintptr_t) chunk + nbytes);

		if (end > first)
		{
			int			saved_errno = errno;

			/* a refusal (too many mappings, say) leaves the pages as they were */
			(void) madvise((void *) first, end - first, MADV_HUGEPAGE);
			errno = saved_errno;
		}
	}
#endif
	return chunk;
}
