/*
 * Metrics every process of a host shares: a fixed table of counters and
 * histograms in one small file (METRICS_FILE, by default "metrics" in
 * USAGE_SPOOL_DIR), mapped by each FastCGI process, changed with atomic
 * adds, so that GET /metrics answered by any process covers them all.
 * A request costs a few atomic adds and no system call: no database
 * write.  The file is group-writable (0660): the spool directory's
 * set-group-ID group lets the web server's user and ws-bridge's share it.
 * A slot is a family and its label values; it is claimed once
 * (compare-and-swap) and then only added to.  The table renders in the
 * Prometheus text exposition format.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

#define MET_MAGIC	"trapimt1"
#define MET_SLOTS	1024		/* families x label values */
#define MET_LABELS	112		/* bytes of a slot's label text */
#define MET_VALUES	16		/* a histogram's buckets, count, sum */
#define MET_SCALE	1e6		/* sums kept in millionths */
#define MET_SPIN	100000		/* waits for a slot being claimed */

/* Seconds: a request, a provider call. */
static const double	 secs_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
#define SECS_N	(sizeof(secs_bounds) / sizeof(secs_bounds[0]))

/* The families, indexed by enum tr_metric. */
static const struct family {
	const char	*name;
	const char	*help;
	int		 histogram;	/* else a counter */
	int		 scaled;	/* a counter of fractions (seconds) */
} families[TR_MET__MAX] = {
	{ "trapi_http_requests_total", "Requests answered, by endpoint, "
	    "method and status", 0, 0 },
	{ "trapi_http_request_duration_seconds", "Time to answer a request, "
	    "by endpoint", 1, 0 },
	{ "trapi_provider_calls_total", "Calls to a transcription provider",
	    0, 0 },
	{ "trapi_provider_failures_total", "Provider calls that failed, by "
	    "the error they became", 0, 0 },
	{ "trapi_provider_call_duration_seconds", "Time of a provider call",
	    1, 0 },
	{ "trapi_usage_audio_seconds_total", "Audio seconds in usage rows, "
	    "by service", 0, 1 },
	{ "trapi_usage_rows_total", "Usage rows recorded, by service", 0, 0 },
	{ "trapi_ws_streams_total", "Live streams opened, by engine", 0, 0 },
	{ "trapi_ws_streams_ended_total", "Live streams that ended, by "
	    "engine and how", 0, 0 },
	{ "trapi_ws_result_latency_seconds", "Time from the latest audio "
	    "chunk to a transcription event", 1, 0 },
	{ "trapi_job_duration_seconds", "Time an async job ran, from its "
	    "last start to its end, by the state it ended in", 1, 0 },
};

struct	slot {
	_Atomic uint32_t	 state;		/* 0 free, 1 claimed, 2 ready */
	uint32_t		 family;	/* enum tr_metric */
	char			 labels[MET_LABELS]; /* a="b",c="d" */
	_Atomic uint64_t	 v[MET_VALUES];	/* counter: v[0] */
};

struct	table {
	char			 magic[8];
	uint32_t		 nslots;
	uint32_t		 slotsz;
	_Atomic uint64_t	 dropped;	/* adds with no free slot */
	struct slot		 slots[MET_SLOTS];
};

static struct table	*tab;		/* NULL: not open (or failed) */
static int		 tried;

/* Opens (creating) and maps the file, under an exclusive lock. */
static struct table *
map_file(const char *path)
{
	struct table	*t;
	struct stat	 st;
	int		 fd, fresh;

	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0660)) == -1) {
		tr_warn("metrics: %s", path);
		return NULL;
	}
	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1) {
		tr_warn("metrics: %s", path);
		close(fd);
		return NULL;
	}
	fresh = st.st_size != (off_t)sizeof(struct table);
	if (fresh && (ftruncate(fd, 0) == -1 ||
	    ftruncate(fd, sizeof(struct table)) == -1)) {
		tr_warn("metrics: %s", path);
		close(fd);
		return NULL;
	}
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (t == MAP_FAILED) {
		tr_warn("metrics: mmap %s", path);
		close(fd);
		return NULL;
	}
	/* Another layout (an older build): start again from zero. */
	if (!fresh && (memcmp(t->magic, MET_MAGIC, 8) != 0 ||
	    t->nslots != MET_SLOTS || t->slotsz != sizeof(struct slot)))
		memset(t, 0, sizeof(*t));
	if (memcmp(t->magic, MET_MAGIC, 8) != 0) {
		t->nslots = MET_SLOTS;
		t->slotsz = sizeof(struct slot);
		memcpy(t->magic, MET_MAGIC, 8);
	}
	flock(fd, LOCK_UN);
	close(fd);
	return t;
}

/* Anonymous memory: one process's own table (ws-bridge, the tests). */
static struct table *
map_anon(void)
{
	struct table	*t;

	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return t == MAP_FAILED ? NULL : t;
}

/*
 * Maps the table: the host's file, or with path NULL this process's own
 * memory.  Called once; later calls (and tr_metric_* before it, which
 * open METRICS_FILE themselves) keep what is mapped.
 */
int
tr_metrics_open(const char *path)
{
	char	 def[512];

	if (tab != NULL)
		return 0;
	tried = 1;
	if (path == NULL) {
		tab = map_anon();
		return tab != NULL ? 0 : -1;
	}
	if (*path == '\0') {
		snprintf(def, sizeof(def), "%s/metrics",
		    tr_conf_def("USAGE_SPOOL_DIR", "/var/spool/trapi"));
		path = def;
	}
	tab = map_file(path);
	return tab != NULL ? 0 : -1;
}

static struct table *
table(void)
{
	if (tab == NULL && !tried)
		(void)tr_metrics_open(tr_conf_def("METRICS_FILE", ""));
	return tab;
}

/* Label values escaped as the exposition format asks. */
static void
labels(char *dst, size_t sz, const char *const *kv, size_t n)
{
	size_t	 i, o = 0;
	const char *s;

	dst[0] = '\0';
	for (i = 0; i < n; i++) {
		o += snprintf(dst + o, o < sz ? sz - o : 0, "%s%s=\"",
		    o ? "," : "", kv[2 * i]);
		for (s = kv[2 * i + 1] != NULL ? kv[2 * i + 1] : "";
		    *s != '\0' && o + 3 < sz; s++) {
			if (*s == '\\' || *s == '"' || *s == '\n') {
				dst[o++] = '\\';
				dst[o++] = *s == '\n' ? 'n' : *s;
			} else
				dst[o++] = *s;
		}
		o += snprintf(dst + o, o < sz ? sz - o : 0, "\"");
		if (o >= sz) {
			dst[sz - 1] = '\0';
			return;
		}
	}
}

/* The slot of a family and its labels, claimed if new; NULL if full. */
static struct slot *
find(struct table *t, enum tr_metric fam, const char *lab)
{
	struct slot	*s;
	uint64_t	 h = 1469598103934665603ULL;
	uint32_t	 st, want;
	const char	*p;
	size_t		 i, n;

	for (p = lab; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ fam) * 1099511628211ULL;
	for (i = 0; i < MET_SLOTS; i++) {
		s = &t->slots[(h + i) % MET_SLOTS];
		st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == 0) {
			want = 0;
			if (atomic_compare_exchange_strong(&s->state, &want, 1)) {
				s->family = fam;
				snprintf(s->labels, sizeof(s->labels), "%s", lab);
				atomic_store_explicit(&s->state, 2,
				    memory_order_release);
				return s;
			}
			st = want;
		}
		/* Being claimed by another process: wait for its name. */
		for (n = 0; st == 1 && n < MET_SPIN; n++) {
			sched_yield();
			st = atomic_load_explicit(&s->state,
			    memory_order_acquire);
		}
		if (st == 2 && s->family == (uint32_t)fam &&
		    strcmp(s->labels, lab) == 0)
			return s;
	}
	atomic_fetch_add(&t->dropped, 1);
	return NULL;
}

static struct slot *
slot_for(enum tr_metric fam, const char *const *kv, size_t npairs)
{
	struct table	*t;
	char		 lab[MET_LABELS];

	if ((t = table()) == NULL || fam >= TR_MET__MAX)
		return NULL;
	labels(lab, sizeof(lab), kv, npairs);
	return find(t, fam, lab);
}

/* Adds v to a counter; kv: npairs label names and values. */
void
tr_metric_add(enum tr_metric fam, double v, const char *const *kv,
    size_t npairs)
{
	struct slot	*s;

	if ((s = slot_for(fam, kv, npairs)) == NULL || v < 0)
		return;
	atomic_fetch_add_explicit(&s->v[0], (uint64_t)(families[fam].scaled ?
	    v * MET_SCALE + 0.5 : v + 0.5), memory_order_relaxed);
}

/* Puts one observation (seconds) into a histogram. */
void
tr_metric_observe(enum tr_metric fam, double secs, const char *const *kv,
    size_t npairs)
{
	struct slot	*s;
	size_t		 b;

	if ((s = slot_for(fam, kv, npairs)) == NULL || secs < 0)
		return;
	for (b = 0; b < SECS_N && secs > secs_bounds[b]; b++)
		continue;
	atomic_fetch_add_explicit(&s->v[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->v[SECS_N + 1], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->v[SECS_N + 2],
	    (uint64_t)(secs * MET_SCALE + 0.5), memory_order_relaxed);
}

static enum tr_err
render_slot(struct tr_buf *b, const struct family *f, const struct slot *s)
{
	const char	*sep = s->labels[0] ? "," : "";
	uint64_t	 cum = 0;
	enum tr_err	 er = TR_OK;
	size_t		 i;

	if (!f->histogram)
		return f->scaled ? tr_buf_addf(b, "%s{%s} %.6f\n", f->name,
		    s->labels, atomic_load(&s->v[0]) / MET_SCALE) :
		    tr_buf_addf(b, "%s{%s} %llu\n", f->name, s->labels,
		    (unsigned long long)atomic_load(&s->v[0]));
	for (i = 0; i <= SECS_N && er == TR_OK; i++) {
		cum += atomic_load(&s->v[i]);
		if (i < SECS_N)
			er = tr_buf_addf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n",
			    f->name, s->labels, sep, secs_bounds[i],
			    (unsigned long long)cum);
		else
			er = tr_buf_addf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n",
			    f->name, s->labels, sep, (unsigned long long)cum);
	}
	if (er == TR_OK)
		er = tr_buf_addf(b, "%s_count{%s} %llu\n%s_sum{%s} %.6f\n",
		    f->name, s->labels, (unsigned long long)cum, f->name,
		    s->labels, atomic_load(&s->v[SECS_N + 2]) / MET_SCALE);
	return er;
}

/* The whole table in the Prometheus text format, appended to b. */
enum tr_err
tr_metrics_render(struct tr_buf *b)
{
	struct table		*t;
	const struct slot	*s;
	size_t			 f, i;
	enum tr_err		 er = TR_OK;

	if ((t = table()) == NULL)
		return tr_buf_adds(b, "# metrics table unavailable\n");
	for (f = 0; f < TR_MET__MAX && er == TR_OK; f++) {
		er = tr_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n",
		    families[f].name, families[f].help, families[f].name,
		    families[f].histogram ? "histogram" : "counter");
		for (i = 0; i < MET_SLOTS && er == TR_OK; i++) {
			s = &t->slots[i];
			if (atomic_load_explicit(&s->state,
			    memory_order_acquire) == 2 && s->family == f)
				er = render_slot(b, &families[f], s);
		}
	}
	if (er == TR_OK)
		er = tr_buf_addf(b, "# HELP trapi_metrics_dropped_total Adds "
		    "lost to a full table\n# TYPE trapi_metrics_dropped_total "
		    "counter\ntrapi_metrics_dropped_total %llu\n",
		    (unsigned long long)atomic_load(&t->dropped));
	return er;
}
