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
 * faulted once.  It is a hint: where transparent huge pages are off
 * ("never"), or the system has no madvise, nothing changes.  Only pages
 * wholly inside the chunk are marked, so memory beyond it is not touched,
 * and the chunk stays an ordinary palloc chunk of its context.
 */
#include "clv.h"

#include <sys/mman.h>

#include "utils/memutils.h"

#define HUGE_PAGE_BYTES ((uintptr_t) 2 * 1024 * 1024)

/*
 * nbytes (up to 1 GB, as MCXT_ALLOC_HUGE allows) in context; its whole
 * huge pages marked for the kernel to back with transparent huge pages.
 */
void *
clv_alloc_large(MemoryContext context, Size nbytes)
{
	void	   *chunk = MemoryContextAllocExtended(context, nbytes, MCXT_ALLOC_HUGE);

#ifdef MADV_HUGEPAGE
	{
		uintptr_t	first = TYPEALIGN(HUGE_PAGE_BYTES, (uintptr_t) chunk);
		uintptr_t	end = TYPEALIGN_DOWN(HUGE_PAGE_BYTES, (uintptr_t) chunk + nbytes);

		/* a failure (no transparent huge pages in this kernel) leaves the pages as they were */
		if (end > first)
			(void) madvise((void *) first, end - first, MADV_HUGEPAGE);
	}
#endif
	return chunk;
}
