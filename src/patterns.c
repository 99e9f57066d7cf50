/*
 * patterns.c: the transition state shared by the model fits (patterns.h).
 */
#include "state.h"
#include "patterns.h"
#include "model.h"

#include "common/hashfn.h"
#include "common/int.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(clv_fit_patterns_combine);

static PatternTimes *pattern_times(const PatternSet *set);

#define FIT_NAME "model fit"
#define FIT_MAGIC	INT64CONST(0x434c565003)	/* "CLVP", layout 3 */
enum
{
	P_MAGIC,
	P_KIND,
	P_NPATTERNS,
	P_PENALIZER,				/* float8 bits */
	P_UNIT,						/* time unit of summaries in microseconds, 0 for plain numbers */
	P_SKIPPED,
	P_SHAPE,					/* regularity fits: k, or CLV_SHAPE_CHOSEN; else 0 */
	P_LOG_GAPS,					/* regularity fits: sum of the rows' log_gap_sum, a
								 * clv_money in this slot and the next: exact,
								 * so that the order of the rows cannot change it */
	P_LOG_GAPS_LOW,
	P_HEADER
};
enum
{
	E_X,
	E_TX,						/* float8 bits */
	E_T,						/* float8 bits */
	E_COUNT,
	E_WIDTH
};

static const ClvStateLayout patterns_layout = {P_HEADER, P_NPATTERNS, E_WIDTH};

/*
 * Entries in a total order: by frequency, then recency (or mean spend), then
 * age, the slots compared as int64.  For the entries clv_patterns_add makes
 * (checked by clv_check_history or check_spend: finite, not negative, -0
 * made +0) the IEEE 754 bits, read as integers, order as the values do.  A
 * state handed to the transition function by hand may hold any bits: they
 * still sort (a total order of integers), and the final and combine
 * functions refuse them (patterns_get_checked, check_entry).
 */
typedef struct PatternEntry
{
	int64		slot[E_WIDTH];
} PatternEntry;

/* clv_patterns_load turns each entry into its Pattern in place */
StaticAssertDecl(sizeof(PatternEntry) == sizeof(Pattern), "a pattern takes the place of its entry");

static inline int
compare_entries(const PatternEntry *a, const PatternEntry *b)
{
	for (int i = E_X; i <= E_T; i++)
	{
		if (a->slot[i] != b->slot[i])
			return a->slot[i] < b->slot[i] ? -1 : 1;
	}
	return 0;
}

/*
 * A sort of the entries with the comparison inlined (PostgreSQL's sort
 * template), for entries that rank_sort_and_merge leaves to it: compaction
 * sorts every entry a fit sees, most of them once.
 */
#define ST_SORT sort_pattern_entries
#define ST_ELEMENT_TYPE PatternEntry
#define ST_COMPARE(a, b) compare_entries(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * A hash table from a time's float8 bits to its place among the distinct
 * times (PostgreSQL's simplehash), for pattern_times and rank_sort_and_merge.
 */
typedef struct TimeSlot
{
	uint64		bits;
	int32		index;
	char		status;
} TimeSlot;

/*
 * All 64 bits of a time mixed into its hash (MurmurHash3's 64-bit
 * finalizer): folding the halves together first would give every time whose
 * halves are equal the same hash.
 */
static inline uint32
hash_time_bits(uint64 k)
{
	k ^= k >> 33;
	k *= UINT64CONST(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64CONST(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return (uint32) k;
}

#define SH_PREFIX time_slots
#define SH_ELEMENT_TYPE TimeSlot
#define SH_KEY_TYPE uint64
#define SH_KEY bits
#define SH_HASH_KEY(tb, key) hash_time_bits(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DEFINE
#define SH_DECLARE
#include "lib/simplehash.h"

/*
 * Sorting by the ranks of the times (rank_sort_and_merge): a key of 64 bits
 * per entry, its frequency and the ranks of its two times among the
 * distinct ones, sorted by its bytes (a radix sort) instead of comparing
 * entries of 32 bytes.  Data on a day grid have a few hundred distinct
 * times.  The ranks keep the entries' order (the times' bits compared as
 * int64, as compare_entries does), so the entries come out as the
 * comparison sort leaves them, and the fits are the same bit for bit.
 * The thresholds are chosen, not tuned: below a few thousand entries the
 * comparison sort costs little, and the hash table of the times should stay
 * small against the entries (and in the processor's cache), so that finding
 * the ranks costs less than the comparisons it saves.
 */
#define RANK_BITS 16
#define RANK_MAX_TIMES (1 << RANK_BITS)
#define RANK_MIN_ENTRIES 4096
#define RANK_X_SHIFT (2 * RANK_BITS)

typedef struct RankedEntry
{
	uint64		key;			/* x << 32 | rank of a << 16 | rank of b */
	int64		count;
} RankedEntry;

StaticAssertDecl(2 * sizeof(RankedEntry) == sizeof(PatternEntry), "two keys take the place of an entry");
StaticAssertDecl(RANK_X_SHIFT == 32, "a frequency below 2^32 fills the key's high half");
StaticAssertDecl(E_T == E_TX + 1, "an entry's two times are neighbours");

/*
 * The radix sorts' two steps shared by both: whether the byte at shift
 * differs between keys whose bits were OR-ed into varying_or and AND-ed
 * into varying_and (a byte all keys share makes no pass), and a byte's
 * counts turned into where each value's keys start.
 */
static inline bool
byte_varies(uint64 varying_or, uint64 varying_and, int shift)
{
	return (((varying_or ^ varying_and) >> shift) & 0xff) != 0;
}

static inline void
counts_to_offsets(int64 *counts)
{
	int64		total = 0;

	for (int d = 0; d < 256; d++)
	{
		int64		c = counts[d];

		counts[d] = total;
		total += c;
	}
}

/*
 * sort_and_merge by the ranks of the times, in the entries' own memory
 * (32 n bytes), so that nothing as large is allocated:
 *   - key i (16 bytes) is written at byte 16 i, within entry i / 2, which
 *     has been read;
 *   - each radix pass reads one half and writes the other, the first pass
 *     the second half, whose entries have all become keys;
 *   - the sorted keys are then put in the second half, and the entries
 *     written forward from them: entry j <= i, written after key i is read,
 *     ends at byte 32 (j + 1) <= 32 (i + 1) <= 16 n + 16 (i + 1), where the
 *     next key starts, since i + 1 <= n.
 * Returns -1, the entries as they were, when it does not apply: too few
 * entries, a frequency outside [0, 2^32), or more distinct times than
 * RANK_MAX_TIMES or an eighth of the entries (the entries whose times the
 * first pass replaced by the order they were first met in get them back).
 */
static int64
rank_sort_and_merge(PatternEntry *entries, int64 n)
{
	int64		max_times = Min(RANK_MAX_TIMES, n / 8);
	time_slots_hash *slots;
	int64	   *values;			/* the distinct times, as first met, then sorted */
	int32	   *rank_of;		/* a time's rank, by the order it was first met */
	int64		nvalues = 0;
	RankedEntry *keys = (RankedEntry *) entries;
	RankedEntry *other = keys + n;
	uint64		varying_or = 0,
				varying_and = ~UINT64CONST(0),
				kept_key = 0;
	int64		kept;

	if (n < RANK_MIN_ENTRIES)
		return -1;
	slots = time_slots_create(CurrentMemoryContext, 1024, NULL);
	values = palloc(max_times * sizeof(int64));

	/*
	 * Each time is replaced by the order it was first met in, so that the
	 * pass making the keys reads its rank from an array, not from the hash
	 * table again; put back when the sort does not apply.
	 */
	for (int64 i = 0; i < n; i++)
	{
		int64	   *e = entries[i].slot;
		int64		met[2] = {0, 0};

		if (e[E_X] < 0 || e[E_X] > (int64) PG_UINT32_MAX)
			nvalues = max_times + 1;
		for (int t = 0; t < 2 && nvalues <= max_times; t++)
		{
			bool		found;
			TimeSlot   *slot = time_slots_insert(slots, (uint64) e[E_TX + t], &found);

			if (!found)
			{
				if (nvalues < max_times)
				{
					slot->index = (int32) nvalues;
					values[nvalues] = e[E_TX + t];
				}
				else
					slot->index = -1;	/* the sort gives up below: never read */
				nvalues++;
			}
			met[t] = slot->index;
		}
		if (nvalues > max_times)
		{
			for (int64 j = 0; j < i; j++)
			{
				entries[j].slot[E_TX] = values[entries[j].slot[E_TX]];
				entries[j].slot[E_T] = values[entries[j].slot[E_T]];
			}
			time_slots_destroy(slots);
			pfree(values);
			return -1;
		}
		e[E_TX] = met[0];
		e[E_T] = met[1];
	}
	/* the ranks: the times sorted, each found again to say which it is */
	qsort(values, nvalues, sizeof(int64), clv_compare_int64);
	rank_of = palloc(nvalues * sizeof(int32));
	for (int64 r = 0; r < nvalues; r++)
		rank_of[time_slots_lookup(slots, (uint64) values[r])->index] = (int32) r;
	time_slots_destroy(slots);

	/* the keys, each over an entry already read */
	for (int64 i = 0; i < n; i++)
	{
		PatternEntry e = entries[i];
		RankedEntry k;

		k.key = ((uint64) e.slot[E_X] << RANK_X_SHIFT) | ((uint64) rank_of[e.slot[E_TX]] << RANK_BITS) |
			(uint64) rank_of[e.slot[E_T]];
		k.count = e.slot[E_COUNT];
		keys[i] = k;
		varying_or |= k.key;
		varying_and &= k.key;
	}
	pfree(rank_of);

	/* least significant byte first, only the bytes that differ; stable */
	for (int shift = 0; shift < 64; shift += 8)
	{
		int64		offsets[256] = {0};
		RankedEntry *swap;

		if (!byte_varies(varying_or, varying_and, shift))
			continue;
		for (int64 i = 0; i < n; i++)
			offsets[(keys[i].key >> shift) & 0xff]++;
		counts_to_offsets(offsets);
		for (int64 i = 0; i < n; i++)
			other[offsets[(keys[i].key >> shift) & 0xff]++] = keys[i];
		swap = keys;
		keys = other;
		other = swap;
	}
	/* the sorted keys in the second half, for the entries to be written from there */
	if (keys == (RankedEntry *) entries)
	{
		memcpy(other, keys, n * sizeof(RankedEntry));
		keys = other;
	}

	kept = -1;
	for (int64 i = 0; i < n; i++)
	{
		RankedEntry k = keys[i];

		if (kept >= 0 && k.key == kept_key)
			entries[kept].slot[E_COUNT] = clv_count_add(entries[kept].slot[E_COUNT], k.count,
														"model fit customer count");
		else
		{
			PatternEntry *e = &entries[++kept];

			kept_key = k.key;
			e->slot[E_X] = (int64) (k.key >> RANK_X_SHIFT);
			e->slot[E_TX] = values[(k.key >> RANK_BITS) & (RANK_MAX_TIMES - 1)];
			e->slot[E_T] = values[k.key & (RANK_MAX_TIMES - 1)];
			e->slot[E_COUNT] = k.count;
		}
	}
	pfree(values);
	return kept + 1;
}

/*
 * Sorting the entries by the bytes of their three keys (a least significant
 * byte first radix sort), for entries that rank_sort_and_merge leaves: times
 * with too many distinct values to rank, such as mean spends.  Each slot is
 * read as compare_entries reads it, an int64, with its sign bit flipped so
 * that its bytes order as the integers do; every pass is stable, so the
 * entries come out in compare_entries' order and the fits are the same bit
 * for bit.  Only the bytes that differ between entries make passes, and one
 * pass over the entries counts them all.  The passes go back and forth
 * between the entries and a scratch array as large, which must be memory
 * already touched: a new allocation of that size costs a page fault every
 * 128 entries, as much as the comparisons it would save (docs/performance.md).
 * With more than RADIX_MAX_PASSES passes the comparison sort is left to it:
 * purchase histories off a day grid differ in 17 bytes, and sorting them by
 * bytes gained nothing measurable there, while spends differ in 9 or 10.
 * Below RANK_MIN_ENTRIES, as for the sort by ranks, comparing costs little.
 */
#define RADIX_MAX_PASSES 12
#define RADIX_KEYS (E_T - E_X + 1)

static inline uint64
radix_key(const PatternEntry *e, int slot)
{
	return (uint64) e->slot[slot] ^ (UINT64CONST(1) << 63);
}

/*
 * Sorts entries[0 .. n-1], with scratch[0 .. n-1] written over, and returns
 * true; or returns false, the entries untouched, when it does not apply.
 */
static bool
radix_sort_entries(PatternEntry *entries, int64 n, PatternEntry *scratch)
{
	uint64		varying_or[RADIX_KEYS] = {0},
				varying_and[RADIX_KEYS];
	int			passes = 0;
	int64	   *counts;
	PatternEntry *from = entries,
			   *to = scratch;

	if (n < RANK_MIN_ENTRIES)
		return false;
	for (int k = 0; k < RADIX_KEYS; k++)
		varying_and[k] = ~UINT64CONST(0);
	for (int64 i = 0; i < n; i++)
	{
		for (int k = 0; k < RADIX_KEYS; k++)
		{
			uint64		key = radix_key(&entries[i], E_X + k);

			varying_or[k] |= key;
			varying_and[k] &= key;
		}
	}
	for (int k = 0; k < RADIX_KEYS; k++)
	{
		for (int shift = 0; shift < 64; shift += 8)
			passes += byte_varies(varying_or[k], varying_and[k], shift);
	}
	if (passes > RADIX_MAX_PASSES)
		return false;

	/* counts[(k * 8 + byte) * 256 + value], for every byte of every key at once */
	counts = palloc0(RADIX_KEYS * 8 * 256 * sizeof(int64));
	for (int64 i = 0; i < n; i++)
	{
		for (int k = 0; k < RADIX_KEYS; k++)
		{
			uint64		key = radix_key(&entries[i], E_X + k);

			for (int b = 0; b < 8; b++)
				counts[(k * 8 + b) * 256 + ((key >> (8 * b)) & 0xff)]++;
		}
	}

	/* the last key first, each from its least significant byte */
	for (int k = RADIX_KEYS - 1; k >= 0; k--)
	{
		for (int b = 0; b < 8; b++)
		{
			int64	   *offsets = &counts[(k * 8 + b) * 256];
			PatternEntry *swap;

			if (!byte_varies(varying_or[k], varying_and[k], 8 * b))
				continue;
			counts_to_offsets(offsets);
			for (int64 i = 0; i < n; i++)
				to[offsets[(radix_key(&from[i], E_X + k) >> (8 * b)) & 0xff]++] = from[i];
			swap = from;
			from = to;
			to = swap;
		}
	}
	if (from != entries)
		memcpy(entries, from, n * sizeof(PatternEntry));
	pfree(counts);
	return true;
}

/*
 * Sort entries[0 .. n-1] and merge equal ones, adding their counts; returns
 * how many are left.  scratch, when not NULL, is n entries' worth of touched
 * memory it may write over (radix_sort_entries).
 */
static int64
sort_and_merge(PatternEntry *entries, int64 n, PatternEntry *scratch)
{
	int64		kept;

	if (n < 2)
		return n;
	kept = rank_sort_and_merge(entries, n);
	if (kept >= 0)
		return kept;
	kept = 0;
	if (scratch == NULL || !radix_sort_entries(entries, n, scratch))
		sort_pattern_entries(entries, n);
	for (int64 i = 1; i < n; i++)
	{
		if (compare_entries(&entries[kept], &entries[i]) == 0)
			entries[kept].slot[E_COUNT] = clv_count_add(entries[kept].slot[E_COUNT], entries[i].slot[E_COUNT],
														"model fit customer count");
		else
			entries[++kept] = entries[i];
	}
	return kept + 1;
}

/* A state's entry as the fits read it. */
static void
pattern_of_entry(const PatternEntry *e, Pattern *p)
{
	p->x = (double) e->slot[E_X];
	p->t_x = clv_slot_float8(e->slot[E_TX]);
	p->T = clv_slot_float8(e->slot[E_T]);
	p->count = (double) e->slot[E_COUNT];
}

/* the most entries patterns_compact copies aside (128 MB) to merge them */
#define MAX_MERGED_TAIL (INT64CONST(4) * 1024 * 1024)

/*
 * How many of entries[0 .. n-1] lead in strictly ascending order: the run a
 * state's last compaction left, which needs no sorting.
 */
static int64
compacted_run(const PatternEntry *entries, int64 n)
{
	int64		sorted = 1;

	if (n < 2)
		return n;
	while (sorted < n && compare_entries(&entries[sorted - 1], &entries[sorted]) < 0)
		sorted++;
	return sorted;
}

/*
 * Merge two strictly ascending runs, a[0 .. na-1] and b[0 .. nb-1], into
 * out, an entry in both written once (b's, with a's count added); returns
 * how many are written.  One run may lie in out itself, from out + k on
 * with k at least the other run's length: an entry of it is read before
 * anything is written over it, since the write position is at most the
 * entries read from both runs, i + j, and its read position is k plus its
 * own.
 */
static int64
merge_sorted_runs(const PatternEntry *a, int64 na, const PatternEntry *b, int64 nb, PatternEntry *out)
{
	int64		i = 0,
				j = 0,
				w = 0;

	while (i < na || j < nb)
	{
		int			c;
		PatternEntry next;

		if (i == na)
			c = 1;
		else if (j == nb)
			c = -1;
		else
			c = compare_entries(&a[i], &b[j]);

		if (c < 0)
			next = a[i++];
		else
		{
			next = b[j++];
			if (c == 0)
				next.slot[E_COUNT] = clv_count_add(next.slot[E_COUNT], a[i++].slot[E_COUNT],
												   "model fit customer count");
		}
		out[w++] = next;
	}
	return w;
}

/*
 * Sort the entries and merge equal patterns, adding their counts.  A state
 * is compacted each time it fills up, and then begins with the entries
 * compacted last time, in order: only the entries after them are sorted,
 * aside, and the run, moved to the end, is merged with them into the front
 * (merge_sorted_runs: the run then starts n - sorted entries in, at least
 * as many as the tail keeps, so nothing unread is written over).
 */
static void
patterns_compact(int64 *s)
{
	PatternEntry *entries = (PatternEntry *) (s + P_HEADER);
	int64		n = s[P_NPATTERNS];
	int64		sorted = compacted_run(entries, n),
				added;
	PatternEntry *tail;

	if (sorted == n)
		return;
	/* a short run gains little; a long tail would double the memory of a huge state */
	if (sorted < n / 4 || (n - sorted) > MAX_MERGED_TAIL)
	{
		s[P_NPATTERNS] = sort_and_merge(entries, n, NULL);
		return;
	}
	added = n - sorted;
	tail = clv_alloc_large(CurrentMemoryContext, added * sizeof(PatternEntry));
	memcpy(tail, entries + sorted, added * sizeof(PatternEntry));
	/* the tail's place in the state, copied from, is the sort's scratch */
	added = sort_and_merge(tail, added, entries + sorted);
	memmove(entries + (n - sorted), entries, sorted * sizeof(PatternEntry));
	s[P_NPATTERNS] = merge_sorted_runs(entries + (n - sorted), sorted, tail, added, entries);
	pfree(tail);
}

/*
 * A compacted copy of a state that is only read (a final function's): its
 * header, then its entries sorted and merged, in memory of the caller's.
 * As patterns_compact does, only the entries after the state's compacted
 * run are sorted, in the copy where they land, and the run is merged with
 * them forward from the state itself (merge_sorted_runs: the sorted ones
 * start past the run's length in the copy): nothing else is allocated, and
 * the run is copied only as it is merged.
 */
static int64 *
patterns_compacted_copy(ArrayType *state)
{
	const int64 *from = clv_state_data(state);
	const PatternEntry *run = (const PatternEntry *) (from + P_HEADER);
	int64		n = from[P_NPATTERNS];
	int64		sorted = compacted_run(run, n),
				added;
	int64	   *s;
	PatternEntry *entries;

	/* a short run gains little: the whole copy is sorted */
	if (sorted == n || sorted < n / 4)
	{
		s = clv_state_copy_slots(state, P_HEADER + n * E_WIDTH);
		if (sorted < n)
			s[P_NPATTERNS] = sort_and_merge((PatternEntry *) (s + P_HEADER), n, NULL);
		return s;
	}
	s = clv_alloc_large(CurrentMemoryContext, (P_HEADER + n * E_WIDTH) * sizeof(int64));
	memcpy(s, from, P_HEADER * sizeof(int64));
	entries = (PatternEntry *) (s + P_HEADER);
	memcpy(entries + sorted, run + sorted, (n - sorted) * sizeof(PatternEntry));
	added = sort_and_merge(entries + sorted, n - sorted, NULL);
	s[P_NPATTERNS] = merge_sorted_runs(run, sorted, entries + sorted, added, entries);
	return s;
}

/* The slots of a state with room for capacity entries, within 1 GB. */
static int
patterns_slots(int64 capacity, const ClvStateLayout *layout)
{
	if (capacity > clv_state_max_capacity(layout))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model fit state would need more than 1 GB"),
				 errdetail("The input has more distinct (frequency, recency, age) patterns than fit in memory."),
				 errhint("Round recency and age, for example to whole days or weeks.")));
	return clv_state_slots_for(capacity, layout);
}

static ArrayType *
patterns_alloc(int64 capacity, MemoryContext context)
{
	ArrayType  *state;

	state = clv_state_alloc(patterns_slots(capacity, &patterns_layout), context);
	clv_state_data(state)[P_MAGIC] = FIT_MAGIC;
	return state;
}

/* A purchase history (x, t_x, T) that the BTYD models can take. */
void
clv_check_history(double x, double t_x, double T)
{
	if (!isfinite(x) || !isfinite(t_x) || !isfinite(T) || x < 0 || t_x < 0 || T < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency, recency and age must be finite and not negative"),
				 errdetail("Found frequency %g, recency %g, age %g.", x, t_x, T)));
	if (x != floor(x) || x > 1e9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number of repeat purchases"),
				 errdetail("Found frequency %g.", x)));
	if (t_x > T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must not exceed age"),
				 errdetail("Found recency %g and age %g.", t_x, T)));
	if ((x > 0) != (t_x > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must be positive exactly when frequency is"),
				 errdetail("Found frequency %g and recency %g.", x, t_x),
				 errhint("Repeat purchases on the first purchase day are not repeat purchases: count purchase days.")));
}

/*
 * A discrete-time history (BG/BB): x transactions in n opportunities after
 * the first, the last of them at opportunity t_x; all whole numbers.
 */
void
clv_check_period_history(double x, double t_x, double n)
{
	if (!isfinite(x) || !isfinite(t_x) || !isfinite(n) || x < 0 || t_x < 0 || n < 0 ||
		x != floor(x) || t_x != floor(t_x) || n != floor(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency, recency and periods must be whole numbers, not negative"),
				 errdetail("Found frequency %g, recency %g, periods %g.", x, t_x, n)));
	if (n > CLV_MAX_OPPORTUNITIES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must be at most %d", CLV_MAX_OPPORTUNITIES),
				 errdetail("Found periods %g.", n),
				 errhint("A discrete-time model's cost grows with the periods; use longer periods.")));
	if (x > t_x || t_x > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must not exceed recency, nor recency periods"),
				 errdetail("Found frequency %g, recency %g, periods %g.", x, t_x, n),
				 errhint("Recency is the number of the last period with a transaction, counted from 1 after the first.")));
	if ((x > 0) != (t_x > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must be positive exactly when frequency is"),
				 errdetail("Found frequency %g and recency %g.", x, t_x)));
}

/*
 * A subscriber's tenure (sBG): periods whole and not negative, churned 0 or
 * 1, and one who churned was there for at least one period.
 */
void
clv_check_tenure(double churned, double periods)
{
	if (!(churned == 0 || churned == 1))
		clv_state_corrupt(FIT_NAME, "A tenure pattern's churned flag is neither 0 nor 1.");
	if (!isfinite(periods) || periods < 0 || periods != floor(periods) || periods > CLV_MAX_TENURE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must be a whole number from 0 to %d", CLV_MAX_TENURE),
				 errdetail("Found periods %g.", periods)));
	if (churned == 1 && periods < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a subscriber who churned was there for at least 1 period"),
				 errhint("For a subscriber that left, periods counts the periods it paid for, the first included.")));
}

static void
check_spend(double x, double m)
{
	if (!isfinite(x) || x < 1 || x != floor(x) || x > 1e9 || !isfinite(m) || m <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid spend pattern"),
				 errdetail("Found frequency %g and mean spend %g.", x, m)));
}

/* A pattern of the given kind, as a caller may hand it in. */
void
clv_check_pattern(ClvPatternKind kind, double x, double a, double b)
{
	if (kind == CLV_PATTERNS_PURCHASES)
		clv_check_history(x, a, b);
	else if (kind == CLV_PATTERNS_PERIODS)
		clv_check_period_history(x, a, b);
	else if (kind == CLV_PATTERNS_TENURE)
		clv_check_tenure(x, a);
	else
		check_spend(x, a);
}

static void
check_entry(ClvPatternKind kind, double x, double a, double b)
{
	/* stored entries never hold -0 (clv_patterns_add), which compare_entries relies on */
	if (signbit(a) || signbit(b))
		clv_state_corrupt(FIT_NAME, "A pattern holds a negative value.");
	if ((kind == CLV_PATTERNS_SPEND || kind == CLV_PATTERNS_TENURE) && b != 0)
		clv_state_corrupt(FIT_NAME, "A spend or tenure pattern has a third value.");
	clv_check_pattern(kind, x, a, b);
}

/* The O(1) checks that keep a transition inside the array (INITCOND can be anything). */
static ArrayType *
patterns_header_check(ArrayType *state)
{
	int64	   *s = clv_state_data(state);

	if (!clv_state_entries_fit(state, &patterns_layout))
		clv_state_corrupt(FIT_NAME, "The array length does not match the patterns.");
	if (s[P_KIND] != CLV_PATTERNS_PURCHASES && s[P_KIND] != CLV_PATTERNS_SPEND &&
		s[P_KIND] != CLV_PATTERNS_PERIODS && s[P_KIND] != CLV_PATTERNS_TENURE)
		clv_state_corrupt(FIT_NAME, "The kind of patterns is unknown.");
	return state;
}

/* The state of this row's group, created on its first row. */
static ClvStateRef
patterns_state(FunctionCallInfo fcinfo, ClvPatternKind kind, double penalizer, int64 unit)
{
	ClvStateRef ref;
	ArrayType  *state;
	int64	   *s;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model fit transition called in non-aggregate context")));
	if (PG_ARGISNULL(0))
	{
		clv_check_nonnegative(penalizer, "penalizer");
		state = patterns_alloc(64, CurrentMemoryContext);
		s = clv_state_data(state);
		s[P_KIND] = kind;
		s[P_PENALIZER] = clv_float8_slot(penalizer);
		s[P_UNIT] = Max(unit, 0);
		return clv_state_ref_new(fcinfo, state);
	}
	ref = clv_state_ref(fcinfo, PG_GETARG_DATUM(0), FIT_MAGIC, P_HEADER, FIT_NAME);
	state = patterns_header_check(ref.array);
	s = clv_state_data(state);
	if (s[P_KIND] != kind)
		clv_state_corrupt(FIT_NAME, "The state holds another kind of patterns.");
	if (s[P_PENALIZER] != clv_float8_slot(penalizer))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be the same for every row")));
	if (s[P_UNIT] != unit && unit >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("all summaries of a fit must use the same time_unit")));
	return ref;
}

/*
 * A row without gaps cannot join a regularity fit's state: its customer's
 * log gaps would be missing from the total.
 */
static void
check_not_regular(ArrayType *state)
{
	if (clv_state_data(state)[P_SHAPE] != 0)
		clv_state_corrupt(FIT_NAME, "A row without the logs of its gaps was added to a regularity fit's state.");
}

/* Count a row left out of the fit; -1: no time unit to check */
Datum
clv_patterns_skip(FunctionCallInfo fcinfo, ClvPatternKind kind, double penalizer)
{
	ClvStateRef ref = patterns_state(fcinfo, kind, penalizer, -1);
	int64	   *s = clv_state_data(ref.array);

	check_not_regular(ref.array);
	s[P_SKIPPED] = clv_count_add(s[P_SKIPPED], 1, "model fit customer count");
	return clv_state_ref_datum(&ref);
}

static void
check_count(int64 count)
{
	if (count < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customers must be at least 1"),
				 errdetail("Found %lld customers for one history.", (long long) count),
				 errhint("Leave out histories no customer has.")));
}

/* One entry, checked by the caller, at the end of the state, grown if need be. */
static void
patterns_append(ClvStateRef *ref, double x, double a, double b, int64 count)
{
	int64	   *s = clv_state_make_room(ref, &patterns_layout, 1, patterns_compact, patterns_slots);
	int64	   *e = s + P_HEADER + s[P_NPATTERNS] * E_WIDTH;

	e[E_X] = (int64) x;
	e[E_TX] = clv_float8_slot(a + 0.0);	/* + 0.0: -0 and 0 are one pattern */
	e[E_T] = clv_float8_slot(b + 0.0);
	e[E_COUNT] = count;
	s[P_NPATTERNS]++;
	clv_state_set_entries_used(ref, &patterns_layout);
}

/* Add one history, checked, shared by count customers, to the state. */
Datum
clv_patterns_add(FunctionCallInfo fcinfo, ClvPatternKind kind, double x, double a, double b,
				 int64 count, double penalizer, int64 unit)
{
	ClvStateRef ref;

	clv_check_pattern(kind, x, a, b);
	check_count(count);
	ref = patterns_state(fcinfo, kind, penalizer, unit);
	check_not_regular(ref.array);
	patterns_append(&ref, x, a, b, count);
	return clv_state_ref_datum(&ref);
}

/*
 * The most the logs of x gaps adding up to t_x can sum to, x ln(t_x / x)
 * (all gaps equal), written so that a tiny t_x cannot make it NaN; and the
 * rounding allowed above a bound.
 */
static double
log_gap_bound(double x, double t_x)
{
	return x * (log(t_x) - log(x));
}

static double
log_gap_slack(double bound)
{
	return 1e-9 * Max(1, fabs(bound));
}

/*
 * Add one customer's history and the sum of the logs of its gaps between
 * purchases to a regularity fit's state (MBG/CNBD-k, BG/CNBD-k): shape is
 * the k every row gives, or CLV_SHAPE_CHOSEN.  The gaps add up to the
 * recency, so by the inequality of arithmetic and geometric means their
 * logs add up to at most x ln(t_x / x); a sum beyond it cannot come from
 * this history (or comes in another time unit).
 */
Datum
clv_patterns_add_regular(FunctionCallInfo fcinfo, double x, double t_x, double T, double log_gap_sum,
						 int shape, double penalizer)
{
	ClvStateRef ref;
	int64	   *s;
	double		bound;

	clv_check_pattern(CLV_PATTERNS_PURCHASES, x, t_x, T);
	bound = x > 0 ? log_gap_bound(x, t_x) : 0;
	if (!isfinite(log_gap_sum) ||
		(x == 0 ? log_gap_sum != 0 : !(log_gap_sum <= bound + log_gap_slack(bound))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("log_gap_sum %g does not fit frequency %g and recency %g", log_gap_sum, x, t_x),
				 errdetail("The gaps between a customer's purchase days add up to the recency, so the sum of their logarithms is at most frequency x ln(recency / frequency), and 0 without repeat purchases."),
				 errhint("Give the sum of ln(gap) over the gaps between consecutive purchase days, in the time unit of recency and age.")));
	ref = patterns_state(fcinfo, CLV_PATTERNS_PURCHASES, penalizer, 0);
	s = clv_state_data(ref.array);
	/* O(1): what keeps the addition below exact (INITCOND can be anything) */
	if (!clv_money_valid(clv_money_load(s + P_LOG_GAPS)))
		clv_state_corrupt(FIT_NAME, "The sum of log gaps is out of range.");
	if (s[P_NPATTERNS] == 0 && s[P_SHAPE] == 0)
		s[P_SHAPE] = shape;
	else if (s[P_SHAPE] != shape)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be the same for every row")));
	clv_money_store(s + P_LOG_GAPS, clv_money_add(clv_money_load(s + P_LOG_GAPS),
												  clv_money_from_float8(log_gap_sum, "log_gap_sum")));
	patterns_append(&ref, x, t_x, T, 1);
	return clv_state_ref_datum(&ref);
}

/*
 * Add the histories of one row that stands for several (a cohort's
 * survival counts), each checked; those of count 0 are left out.
 */
Datum
clv_patterns_add_several(FunctionCallInfo fcinfo, ClvPatternKind kind, int n, const Pattern *entries,
						 double penalizer)
{
	ClvStateRef ref;

	for (int i = 0; i < n; i++)
	{
		clv_check_pattern(kind, entries[i].x, entries[i].t_x, entries[i].T);
		/* the fit's own limit, and below it the double is the count exactly */
		if (!(entries[i].count <= (double) (INT64CONST(1) << 53)))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a model fit takes at most 2^53 customers"),
					 errdetail("One row counts %.17g.", entries[i].count)));
		if (entries[i].count != 0)
			check_count((int64) entries[i].count);
	}
	ref = patterns_state(fcinfo, kind, penalizer, 0);
	check_not_regular(ref.array);
	for (int i = 0; i < n; i++)
		if (entries[i].count != 0)
			patterns_append(&ref, entries[i].x, entries[i].t_x, entries[i].T, (int64) entries[i].count);
	return clv_state_ref_datum(&ref);
}

/* A state's content checked through and through: every entry, the header's ranges, the log gaps. */
static ArrayType *
patterns_content_check(ArrayType *state)
{
	int64	   *s = clv_state_data(patterns_header_check(state));
	double		penalizer = clv_slot_float8(s[P_PENALIZER]);
	double		bound = 0,
				slack = 0;

	if (!(isfinite(penalizer) && penalizer >= 0) || s[P_UNIT] < 0 || s[P_SKIPPED] < 0)
		clv_state_corrupt(FIT_NAME, "The penalizer or the time unit is out of range.");
	if (s[P_SHAPE] == 0 ? (s[P_LOG_GAPS] != 0 || s[P_LOG_GAPS_LOW] != 0) :
		!(s[P_KIND] == CLV_PATTERNS_PURCHASES && clv_money_valid(clv_money_load(s + P_LOG_GAPS)) &&
		  (s[P_SHAPE] == CLV_SHAPE_CHOSEN || (s[P_SHAPE] >= 1 && s[P_SHAPE] <= CLV_MODEL_MAX_SHAPE))))
		clv_state_corrupt(FIT_NAME, "The regularity k or the sum of log gaps is out of range.");
	for (int64 i = 0; i < s[P_NPATTERNS]; i++)
	{
		int64	   *e = s + P_HEADER + i * E_WIDTH;
		double		x = (double) e[E_X],
					t_x = clv_slot_float8(e[E_TX]);

		if (e[E_COUNT] < 1)
			clv_state_corrupt(FIT_NAME, "A pattern has no customers.");
		check_entry((ClvPatternKind) s[P_KIND], x, t_x, clv_slot_float8(e[E_T]));
		if (s[P_SHAPE] != 0 && x > 0)
		{
			double		one = log_gap_bound(x, t_x);

			bound += e[E_COUNT] * one;
			slack += e[E_COUNT] * log_gap_slack(one);
		}
	}
	/* the total of every row's log gaps is within the sum of their bounds */
	if (s[P_SHAPE] != 0 && !(clv_money_to_float8(clv_money_load(s + P_LOG_GAPS)) <= bound + slack))
		clv_state_corrupt(FIT_NAME, "The sum of log gaps exceeds what the histories allow.");
	return state;
}

static ArrayType *
patterns_get_checked(FunctionCallInfo fcinfo, int argno)
{
	return patterns_content_check(clv_state_checked_to_read(PG_GETARG_DATUM(argno), FIT_MAGIC, P_HEADER, FIT_NAME));
}

/*
 * Merge state b into a (clv_combine_first_state: in an aggregate, where a
 * is, so that the executor does not copy each merged state).  b's entries
 * are appended as rows are, and sorted and merged with a's only when the
 * state fills up (clv_state_make_room) or at the end (clv_patterns_load):
 * merging each of many partial states (a Citus shard's, a partition's)
 * into a compacted a would move all of a every time.
 */
Datum
clv_fit_patterns_combine(PG_FUNCTION_ARGS)
{
	Datum		given;
	ClvStateRef ref;
	ArrayType  *b;
	int64	   *sa,
			   *sb,
				nb;

	if (clv_combine_with_null(fcinfo, patterns_get_checked, &given))
		return given;
	b = patterns_get_checked(fcinfo, 1);
	ref = clv_combine_first_state(fcinfo, FIT_MAGIC, P_HEADER, FIT_NAME, patterns_header_check,
								  patterns_content_check);
	sa = clv_state_data(ref.array);
	sb = clv_state_data(b);
	if (sa[P_KIND] != sb[P_KIND] || sa[P_PENALIZER] != sb[P_PENALIZER] || sa[P_UNIT] != sb[P_UNIT] ||
		sa[P_SHAPE] != sb[P_SHAPE])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine model fit states of different kinds, penalizers, time units or k")));
	nb = sb[P_NPATTERNS];
	sa = clv_state_make_room(&ref, &patterns_layout, nb, patterns_compact, patterns_slots);
	sa[P_SKIPPED] = clv_count_add(sa[P_SKIPPED], sb[P_SKIPPED], "model fit customer count");
	clv_money_store(sa + P_LOG_GAPS, clv_money_add(clv_money_load(sa + P_LOG_GAPS), clv_money_load(sb + P_LOG_GAPS)));
	memcpy(sa + P_HEADER + sa[P_NPATTERNS] * E_WIDTH, sb + P_HEADER, nb * E_WIDTH * sizeof(int64));
	sa[P_NPATTERNS] += nb;
	clv_state_set_entries_used(&ref, &patterns_layout);
	return clv_state_ref_datum(&ref);
}

/*
 * The patterns of a final state, compacted, for a fit of the given kind.
 * The state is copied first: a final function must not change it.
 */
void
clv_patterns_load(FunctionCallInfo fcinfo, int argno, ClvPatternKind kind, PatternSet *set)
{
	ArrayType  *state = patterns_get_checked(fcinfo, argno);
	int64	   *s = clv_state_data(state);
	PatternEntry *entries;
	int64		customers;

	if (s[P_KIND] != kind)
		clv_state_corrupt(FIT_NAME, "The patterns are of another kind of model.");
	s = patterns_compacted_copy(state);
	set->npatterns = s[P_NPATTERNS];
	entries = (PatternEntry *) (s + P_HEADER);
	customers = 0;
	set->times = NULL;
	set->penalizer = clv_slot_float8(s[P_PENALIZER]);
	set->unit_usecs = s[P_UNIT];
	set->skipped = s[P_SKIPPED];
	set->shape = (int) s[P_SHAPE];
	set->log_gap_sum = clv_money_to_float8(clv_money_load(s + P_LOG_GAPS));
	/* each entry becomes its Pattern where it is */
	set->patterns = (Pattern *) entries;
	for (int64 i = 0; i < set->npatterns; i++)
	{
		PatternEntry e = entries[i];

		customers = clv_count_add(customers, e.slot[E_COUNT], "model fit customer count");
		pattern_of_entry(&e, &set->patterns[i]);
	}
	/* below 2^53, so the count and its double agree */
	if (customers > (INT64CONST(1) << 53))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a model fit takes at most 2^53 customers"),
				 errdetail("The rows count " INT64_FORMAT " customers.", customers)));
	set->customers = (double) customers;
}

/*
 * The optional customers argument of a fit over counted histories: the
 * count, 1 when the argument is not there; 0 means the row is left out.
 */
int64
clv_customers_arg(FunctionCallInfo fcinfo, int argno)
{
	int64		customers;

	if (argno >= PG_NARGS())
		return 1;
	customers = PG_GETARG_INT64(argno);
	if (customers < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customers must not be negative"),
				 errdetail("Found %lld customers for one history.", (long long) customers)));
	return customers;
}

/* The optional penalizer argument of a fit's transition function. */
double
clv_penalizer_arg(FunctionCallInfo fcinfo, int argno)
{
	if (!clv_option_given(fcinfo, argno))
		return 0;
	return PG_GETARG_FLOAT8(argno);
}

/*
 * The purchase histories of a final state, for a purchase model: false when
 * there are none; an error when nobody bought twice, which no purchase
 * model can be fitted on.  Also the mean frequency and age, to start from.
 */
bool
clv_purchase_patterns(FunctionCallInfo fcinfo, const char *label, PatternSet *data,
					  double *mean_x, double *mean_T)
{
	double		sum_x = 0,
				sum_T = 0;

	clv_patterns_load(fcinfo, 0, CLV_PATTERNS_PURCHASES, data);
	if (data->customers == 0)
		return false;
	for (int64 i = 0; i < data->npatterns; i++)
	{
		sum_x += data->patterns[i].count * data->patterns[i].x;
		sum_T += data->patterns[i].count * data->patterns[i].T;
	}
	if (sum_x == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s cannot be fitted without repeat purchases", label),
				 errdetail("None of the %.0f customers bought more than once.", data->customers)));
	*mean_x = sum_x / data->customers;
	*mean_T = sum_T / data->customers;
	data->times = pattern_times(data);
	return true;
}

/* where time is among the distinct ones so far, added if new */
static int32
time_index(time_slots_hash *slots, PatternTimes *times, double time)
{
	bool		found;
	TimeSlot   *slot = time_slots_insert(slots, (uint64) clv_float8_slot(time), &found);

	if (!found)
	{
		slot->index = (int32) times->nvalues;
		times->values[times->nvalues++] = time;
	}
	return slot->index;
}

/* TimeTerms for every distinct time, palloc'd */
TimeTerms *
clv_time_terms(const PatternTimes *times, double alpha)
{
	/* up to 2 x 2^25 times of 16 bytes: just over what palloc takes */
	TimeTerms  *at = palloc_extended(Max(times->nvalues, 1) * sizeof(TimeTerms), MCXT_ALLOC_HUGE);

	for (int64 i = 0; i < times->nvalues; i++)
	{
		at[i].log_shifted = log(alpha + times->values[i]);
		at[i].inverse_shifted = 1 / (alpha + times->values[i]);
	}
	return at;
}

/*
 * The distinct recencies and ages of purchase patterns, in the order first
 * met, and where each pattern's are among them (PatternTimes).  Data on a
 * day grid have a few hundred distinct times against hundreds of thousands
 * of patterns.
 */
static PatternTimes *
pattern_times(const PatternSet *set)
{
	PatternTimes *times = palloc(sizeof(PatternTimes));
	time_slots_hash *slots = time_slots_create(CurrentMemoryContext, 1024, NULL);

	/* at most 2^25 patterns fit in the 1 GB of a state, so the indexes fit in int32 */
	Assert(set->npatterns < PG_INT32_MAX / 2);
	times->nvalues = 0;
	times->values = palloc(Max(2 * set->npatterns, 1) * sizeof(double));
	times->t_x_index = palloc(Max(set->npatterns, 1) * sizeof(int32));
	times->T_index = palloc(Max(set->npatterns, 1) * sizeof(int32));
	for (int64 i = 0; i < set->npatterns; i++)
	{
		times->t_x_index[i] = time_index(slots, times, set->patterns[i].t_x);
		times->T_index[i] = time_index(slots, times, set->patterns[i].T);
	}
	time_slots_destroy(slots);
	return times;
}

/*
 * A coarse copy of many purchase patterns, for a first fit whose optimum
 * (and curvature) the fit of the whole set then starts from: frequencies
 * kept, recencies and ages rounded to COARSE_STEPS steps of the largest age
 * (a recency never above its age, nor below one step for a repeat buyer),
 * equal patterns merged.  A repeat buyer rounded to recency 0 would be a
 * history the input checks reject, and one is enough to make the copy's
 * likelihood grow without bound as r and alpha go to 0: on the pipeline
 * benchmark's orders (recency under half a step for many), the copy's fit
 * ran off for 181 iterations, and the fit then started over without it.
 * The copy's likelihood is close to the whole set's, and at a fraction of
 * the patterns its iterations cost little; the fit of the whole set then
 * converges to the same tolerance in a few iterations instead of a few
 * dozen.  False, and nothing built, when the set is small or the copy
 * would not be much smaller.
 */
#define COARSE_MIN_PATTERNS 20000
#define COARSE_STEPS 64

bool		clv_fit_coarse_start = true;

/*
 * A coarse pattern while the copy is made: its frequency and its recency's
 * and age's numbers of steps, packed into one key, and its customers.  The
 * copy has a few thousand of them, so a hash table of them stays in the
 * processor's cache: merging equal ones there costs a fraction of sorting
 * every rounded pattern.  A number of steps is at most COARSE_STEPS, give or
 * take the rounding of the step (up to 95 when the largest age is a
 * subnormal number); one that does not fit its bits, or a frequency that
 * does not fit its own, leaves the fit without a coarse start.
 */
#define COARSE_STEP_BITS 8
#define COARSE_STEP_MASK ((UINT64CONST(1) << COARSE_STEP_BITS) - 1)
#define COARSE_MAX_X (INT64CONST(1) << (63 - 2 * COARSE_STEP_BITS))
StaticAssertDecl(2 * COARSE_STEPS <= COARSE_STEP_MASK, "a number of steps has room to spare in its bits");

typedef struct CoarseSlot
{
	uint64		key;
	int64		count;
	char		status;
} CoarseSlot;

#define SH_PREFIX coarse_slots
#define SH_ELEMENT_TYPE CoarseSlot
#define SH_KEY_TYPE uint64
#define SH_KEY key
#define SH_HASH_KEY(tb, key) murmurhash32((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DEFINE
#define SH_DECLARE
#include "lib/simplehash.h"

bool
clv_coarse_purchase_patterns(const PatternSet *data, PatternSet *coarse)
{
	coarse_slots_hash *slots;
	coarse_slots_iterator it;
	CoarseSlot *slot;
	PatternEntry *entries;
	double		max_T = 0,
				step;
	int64		n = 0;

	if (!clv_fit_coarse_start || data->npatterns < COARSE_MIN_PATTERNS)
		return false;
	for (int64 i = 0; i < data->npatterns; i++)
		max_T = Max(max_T, data->patterns[i].T);
	step = max_T / COARSE_STEPS;
	if (!(step > 0))
		return false;
	slots = coarse_slots_create(CurrentMemoryContext, 4096, NULL);
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *p = &data->patterns[i];
		double		T_steps = Max(rint(p->T / step), 1);
		/* a repeat buyer's recency keeps a step (the comment above) */
		double		t_x_steps = Min(Max(rint(p->t_x / step), p->x > 0 ? 1 : 0), T_steps);
		bool		found;

		/* what does not fit the key: no coarse start (the comment above) */
		if (!(p->x < (double) COARSE_MAX_X && T_steps <= (double) COARSE_STEP_MASK && t_x_steps >= 0))
		{
			coarse_slots_destroy(slots);
			return false;
		}
		slot = coarse_slots_insert(slots,
								   ((uint64) p->x << (2 * COARSE_STEP_BITS)) |
								   ((uint64) t_x_steps << COARSE_STEP_BITS) | (uint64) T_steps,
								   &found);
		if (!found)
		{
			slot->count = 0;
			/* not much smaller: not worth a first fit */
			if (++n > data->npatterns / 4)
			{
				coarse_slots_destroy(slots);
				return false;
			}
		}
		slot->count += (int64) p->count;
	}
	entries = palloc(Max(n, 1) * sizeof(PatternEntry));
	n = 0;
	coarse_slots_start_iterate(slots, &it);
	while ((slot = coarse_slots_iterate(slots, &it)) != NULL)
	{
		entries[n].slot[E_X] = (int64) (slot->key >> (2 * COARSE_STEP_BITS));
		entries[n].slot[E_TX] =
			clv_float8_slot((double) ((slot->key >> COARSE_STEP_BITS) & COARSE_STEP_MASK) * step);
		entries[n].slot[E_T] = clv_float8_slot((double) (slot->key & COARSE_STEP_MASK) * step);
		entries[n].slot[E_COUNT] = slot->count;
		n++;
	}
	coarse_slots_destroy(slots);
	/* in the order patterns_compact gives, so that the copy does not depend on the hashing */
	sort_pattern_entries(entries, n);
	*coarse = *data;
	coarse->npatterns = n;
	/* each entry becomes its Pattern where it is, as clv_patterns_load does */
	coarse->patterns = (Pattern *) entries;
	for (int64 i = 0; i < n; i++)
	{
		PatternEntry e = entries[i];

		pattern_of_entry(&e, &coarse->patterns[i]);
	}
	coarse->times = pattern_times(coarse);
	return true;
}

/*
 * The same for the Gamma-Gamma fit: repeat buyers' (frequency, mean spend
 * m), every m positive, with log(m) in T as that fit keeps it; so has the
 * copy.  The logarithms are rounded to steps of 1 / COARSE_STEPS (each m
 * moved by at most 0.8%, whatever the currency).  The patterns are sorted
 * by frequency and then m (patterns_compact), and rounding keeps that
 * order, so equal copies are neighbours: one pass counts them, another
 * writes them, and the copy takes no more memory than it has patterns.
 */
bool
clv_coarse_spend_patterns(const PatternSet *data, PatternSet *coarse)
{
	int64		n = 0;
	double		last_x = 0,
				last_log_m = 0;

	if (!clv_fit_coarse_start || data->npatterns < COARSE_MIN_PATTERNS)
		return false;
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *p = &data->patterns[i];
		double		log_m = rint(p->T * COARSE_STEPS) / COARSE_STEPS;

		if (i == 0 || p->x != last_x || log_m != last_log_m)
			n++;
		last_x = p->x;
		last_log_m = log_m;
	}
	if (n > data->npatterns / 4)
		return false;
	*coarse = *data;
	coarse->npatterns = n;
	coarse->patterns = palloc(n * sizeof(Pattern));
	n = -1;
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *p = &data->patterns[i];
		double		log_m = rint(p->T * COARSE_STEPS) / COARSE_STEPS;

		if (i == 0 || p->x != last_x || log_m != last_log_m)
		{
			Pattern    *c = &coarse->patterns[++n];

			c->x = p->x;
			c->t_x = exp(log_m);
			c->T = log_m;
			c->count = 0;
		}
		coarse->patterns[n].count += p->count;
		last_x = p->x;
		last_log_m = log_m;
	}
	Assert(n + 1 == coarse->npatterns);
	return true;
}
