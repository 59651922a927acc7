package tools

import (
	"encoding/json"
	"iter"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"
)

// Field weights: a word in the tool's name says more than one in a
// parameter name, which says more than one in the description.
const (
	weightName   = 3.0
	weightParams = 2.0
	weightDesc   = 1.0

	bm25K1 = 1.2
	bm25B  = 0.75
)

// searchIndex is a BM25F index over the entries of one snapshot: each
// document is a tool; its fields are the name (namespace and tool name),
// the top-level parameter names and the description.
type searchIndex struct {
	docs   []searchDoc
	df     map[string]int
	total  float64  // the docs' lengths summed
	avgLen float64  // total over the docs
	vocab  []string // every term, sorted
	long   []string // the terms long enough to split (see splitCompounds)
}

type searchDoc struct {
	entry  Entry
	tf     map[string]float64 // weighted term frequency
	length float64            // weighted length
	splits [][2]string        // the parts splitCompounds added
}

// indexed is the snapshot's search index, built on first use.
func (s *snapshot) indexed() *searchIndex {
	s.indexOnce.Do(func() { s.index = newSearchIndex(s.entries) })
	return s.index
}

func (s *snapshot) search(query string, limit int) []Entry {
	return s.indexed().search(query, limit)
}

func newSearchIndex(entries []Entry) *searchIndex {
	idx := &searchIndex{df: map[string]int{}}
	for _, e := range entries {
		idx.docs = append(idx.docs, newSearchDoc(e))
	}
	vocab := map[string]bool{}
	for _, d := range idx.docs {
		for t := range d.tf {
			vocab[t] = true
		}
	}
	for i := range idx.docs {
		d := &idx.docs[i]
		d.splitCompounds(func(t string) bool { return vocab[t] })
		for t := range d.tf {
			idx.df[t]++
		}
		idx.total += d.length
	}
	if len(idx.docs) > 0 {
		idx.avgLen = idx.total / float64(len(idx.docs))
	}
	// Splitting adds only words of the vocabulary: it is the same before
	// and after.
	idx.vocab = slices.Sorted(maps.Keys(idx.df))
	for _, t := range idx.vocab {
		if len(t) >= minCompound {
			idx.long = append(idx.long, t)
		}
	}
	return idx
}

// newSearchDoc is e's document before splitCompounds.
func newSearchDoc(e Entry) searchDoc {
	d := searchDoc{entry: e, tf: map[string]float64{}}
	d.add(terms(e.Namespace+" "+e.Server+" "+e.Name+" "+e.Title), weightName)
	d.add(terms(strings.Join(paramNames(e.InputSchema), " ")), weightParams)
	d.add(terms(e.Description), weightDesc)
	return d
}

// minCompound is the length of the shortest word splitCompounds splits.
const minCompound = 6

// splitCompounds adds the parts of a name's run-together words at half
// weight, when both parts are words of the index (inVocab): "worklog" is
// also "work" and "log", "freebusy" also "free" and "busy".
func (d *searchDoc) splitCompounds(inVocab func(string) bool) {
	for _, t := range slices.Sorted(maps.Keys(d.tf)) {
		if len(t) < minCompound || d.tf[t] < weightName {
			continue
		}
		for i := 3; i <= len(t)-3; i++ {
			a, b := t[:i], stem(t[i:])
			if inVocab(a) && inVocab(b) {
				d.add([]string{a, b}, weightName/2)
				d.splits = append(d.splits, [2]string{a, b})
				break
			}
		}
	}
}

// unsplit is d as it was before splitCompounds.
func (d searchDoc) unsplit() searchDoc {
	u := searchDoc{entry: d.entry, tf: maps.Clone(d.tf), length: d.length}
	for _, s := range d.splits {
		for _, t := range s {
			if u.tf[t] -= weightName / 2; u.tf[t] == 0 { // exact: all weights are halves
				delete(u.tf, t)
			}
			u.length -= weightName / 2
		}
	}
	return u
}

func (d *searchDoc) add(ts []string, w float64) {
	for _, t := range ts {
		d.tf[t] += w
		d.length += w
	}
}

// search returns the best limit entries (all matching ones when limit <= 0),
// ties broken by path so the order is deterministic.
func (idx *searchIndex) search(query string, limit int) []Entry {
	q := expand(terms(query), idx.extensions)
	weigh(q, func(t string) int { return idx.df[t] }, len(idx.docs))
	return rank(q, idx.avgLen, limit, func(yield func(searchDoc) bool) {
		for _, d := range idx.docs {
			if !yield(d) {
				return
			}
		}
	})
}

// rank scores docs for q, with the average length avgLen of the documents
// q was weighed over, and returns the best limit entries.
func rank(q []queryTerm, avgLen float64, limit int, docs iter.Seq[searchDoc]) []Entry {
	type scored struct {
		e     Entry
		score float64
	}
	var hits []scored
	for d := range docs {
		if s := score(d, q, avgLen); s > 0 {
			hits = append(hits, scored{d.entry, s})
		}
	}
	slices.SortFunc(hits, func(a, b scored) int {
		if a.score != b.score {
			return cmpFloatDesc(a.score, b.score)
		}
		return strings.Compare(a.e.Path(), b.e.Path())
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]Entry, len(hits))
	for i, h := range hits {
		out[i] = h.e
	}
	return out
}

// weigh sets the inverse document frequency of q's terms among n
// documents, df giving how many of them hold a term.
func weigh(q []queryTerm, df func(string) int, n int) {
	for i := range q {
		df := float64(df(q[i].term))
		q[i].idf = math.Log(1 + (float64(n)-df+0.5)/(df+0.5))
	}
}

func score(d searchDoc, q []queryTerm, avgLen float64) float64 {
	norm := 1 - bm25B + bm25B*d.length/max(avgLen, 1)
	s := 0.0
	for _, qt := range q {
		tf := d.tf[qt.term]
		if tf == 0 {
			continue
		}
		s += qt.weight * qt.idf * tf * (bm25K1 + 1) / (tf + bm25K1*norm)
	}
	return s
}

// expand weighs the query's terms 1 and their relatives ½: synonyms ("save"
// finds write_file, "folder" list_directory) and words of the index that
// one is a prefix of ("remind" finds reminder), so that neither outranks an
// exact word.
// The terms come out sorted, so scores are summed in the same order every
// time and equal scores stay exactly equal.
func expand(q []string, extensions func(string) []string) []queryTerm {
	w := map[string]float64{}
	for _, t := range q {
		w[t] = 1
	}
	for _, t := range q {
		for _, rel := range slices.Concat(synonyms[t], extensions(t)) {
			if _, ok := w[rel]; !ok {
				w[rel] = synonymWeight
			}
		}
	}
	out := make([]queryTerm, 0, len(w))
	for _, t := range slices.Sorted(maps.Keys(w)) {
		out = append(out, queryTerm{term: t, weight: w[t]})
	}
	return out
}

// extensions are the words of the index that t is a proper prefix of, for
// t of at least minPrefix letters.
func (idx *searchIndex) extensions(t string) []string { return extensionsIn(idx.vocab, t) }

// extensionsIn are the words of vocab (sorted) that t is a proper prefix
// of, for t of at least minPrefix letters.
func extensionsIn(vocab []string, t string) []string {
	if len(t) < minPrefix {
		return nil
	}
	var out []string
	i, _ := slices.BinarySearch(vocab, t)
	for ; i < len(vocab) && strings.HasPrefix(vocab[i], t); i++ {
		if vocab[i] != t {
			out = append(out, vocab[i])
		}
	}
	return out
}

const minPrefix = 4

type queryTerm struct {
	term   string
	weight float64
	idf    float64 // set by weigh
}

const synonymWeight = 0.5

// synonyms are everyday words for what tools call otherwise, in groups of
// words that stand for each other in a task description: the verbs of
// CRUD, and the nouns of common services (mail, calendars, payments,
// tickets, infrastructure). Keys and values are stemmed.
var synonyms = symmetric([][]string{
	// verbs
	{"folder", "directory", "dir"},
	{"save", "write", "store", "keep", "put"},
	{"remove", "delete", "erase", "destroy", "trash"},
	{"make", "create", "new", "add", "insert", "open"},
	{"find", "search", "lookup", "query", "filter"},
	{"fetch", "get", "read", "retrieve", "load", "download"},
	{"modify", "update", "edit", "change", "patch", "set"},
	{"show", "list", "display", "view", "enumerate"},
	{"send", "post", "deliver"},
	{"merge", "combine", "join", "consolidate"},
	{"duplicate", "copy", "clone", "fork"},
	{"drag", "move", "transfer", "relocate", "rename"},
	{"undo", "rollback", "revert", "restore"},
	{"silence", "mute", "snooze", "suppress"},
	{"fix", "resolve", "solve"},
	{"finish", "complete", "done", "tick"},
	{"kick", "ban", "expel"},
	{"clear", "purge", "flush", "clean", "prune", "wipe"},
	{"convert", "export", "transform"},
	{"reply", "respond", "answer", "comment"},
	{"remember", "memorize", "record"},
	{"play", "playback", "resume", "listen"},
	{"share", "permission", "access", "grant"},
	{"live", "production", "promote", "publish"},
	{"group", "aggregate", "aggregation", "sum", "total"},
	{"transcribe", "transcription", "transcript", "caption", "subtitle", "speech"},
	// nouns
	{"message", "text", "sms", "chat"},
	{"email", "mail", "inbox"},
	{"meeting", "event", "appointment", "invitation", "invite"},
	{"schedule", "calendar", "agenda"},
	{"free", "busy", "availability", "available"},
	{"music", "song", "track"},
	{"recording", "audio", "voice"},
	{"rain", "weather", "forecast", "precipitation", "temperature", "snow"},
	{"drive", "route", "direction", "travel", "commute", "trip"},
	{"refund", "reimburse", "repay"},
	{"money", "payment", "charge", "pay", "paid", "funds"},
	{"stock", "inventory"},
	{"dns", "ip", "hostname", "domain"},
	{"website", "site", "zone", "cdn"},
	{"fact", "observation", "note"},
	{"person", "entity"},
	{"newsletter", "campaign"},
	{"colleague", "member", "teammate", "collaborator", "follower"},
	{"bug", "issue", "error", "defect", "exception", "crash"},
	{"link", "url"},
	{"temporary", "expire", "expiry", "presign", "ttl"},
	{"alert", "monitor", "alarm"},
	{"sql", "select"},
	{"database", "db"},
	{"field", "column", "schema"},
	{"place", "location", "nearby", "near", "around"},
	{"vector", "embedding", "embed"},
	{"cache", "cached"},
	{"picture", "image", "photo", "png", "screenshot"},
	{"translate", "translation", "language"},
	{"phone", "sms", "mobile"},
	{"code", "verification", "otp", "2fa"},
	{"ship", "fulfill", "fulfillment", "tracking"},
	{"coupon", "discount", "promo", "voucher"},
	{"wiki", "page", "document", "documentation", "runbook", "article"},
	{"replica", "scale", "resize"},
	{"log", "output", "trace"},
	{"cpu", "usage", "utilization"},
	{"deploy", "deployment", "release", "rollout"},
	{"customer", "client", "buyer"},
	{"invoice", "bill", "billing"},
	{"subscription", "plan", "recurring"},
	{"deal", "opportunity"},
	{"company", "organization", "org"},
	{"task", "todo", "chore"},
	{"ticket", "case"},
	{"attachment", "attached"},
	{"pr", "pull"},
})

// symmetric maps each (stemmed) word of a group to the others of every
// group it is in.
func symmetric(groups [][]string) map[string][]string {
	m := map[string][]string{}
	for _, g := range groups {
		for _, a := range g {
			for _, b := range g {
				if a, b := stem(a), stem(b); a != b && !slices.Contains(m[a], b) {
					m[a] = append(m[a], b)
				}
			}
		}
	}
	return m
}

func cmpFloatDesc(a, b float64) int {
	if a > b {
		return -1
	}
	return 1
}

// paramNames returns the top-level property names of an input schema.
func paramNames(schema json.RawMessage) []string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(schema, &s) != nil {
		return nil
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// terms splits text into lowercase, stemmed words: snake_case, kebab-case,
// camelCase and dotted names all split; stop words are dropped.
func terms(text string) []string {
	var out []string
	for _, w := range words(text) {
		w = strings.ToLower(w)
		if stopWords[w] || len(w) == 1 && !unicode.IsDigit(rune(w[0])) {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// words splits on anything but letters and digits, and at lower-to-upper
// case changes ("createEntities" → "create", "Entities"; "HTTPServer" →
// "HTTP", "Server").
func words(text string) []string {
	var out []string
	rs := []rune(text)
	start := -1
	for i, r := range rs {
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case !alnum:
			if start >= 0 {
				out = append(out, string(rs[start:i]))
			}
			start = -1
			continue
		case start < 0:
			start = i
			continue
		}
		if caseBoundary(rs, i) {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	if start >= 0 {
		out = append(out, string(rs[start:]))
	}
	return out
}

func caseBoundary(rs []rune, i int) bool {
	prev, cur := rs[i-1], rs[i]
	if unicode.IsLower(prev) && unicode.IsUpper(cur) {
		return true
	}
	next := i+1 < len(rs) && unicode.IsLower(rs[i+1])
	return unicode.IsUpper(prev) && unicode.IsUpper(cur) && next
}

// stem strips the commonest English inflections, lightly: enough that
// "entities", "entity" and "files", "file" and "listing", "list" meet.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return undouble(w[:len(w)-3])
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		return undouble(w[:len(w)-2])
	case len(w) > 4 && hasAnySuffix(w, "sses", "shes", "ches", "xes"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

// undouble turns "stopp" back into "stop" after a suffix is cut.
func undouble(w string) string {
	n := len(w)
	if n > 2 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func hasAnySuffix(w string, suffixes ...string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

var stopWords = setOf(
	"a", "an", "the", "to", "of", "in", "on", "for", "and", "or", "with", "from", "by",
	"is", "are", "be", "this", "that", "it", "its", "as", "at", "into", "my", "me", "i",
	"all", "any", "some", "please", "can", "you", "your", "which", "what", "how",
	"everyone", "people", "will", "does", "do", "have", "has", "their", "they",
	"them", "our", "we", "us", "want", "need", "there", "so", "let", "about", "using",
	"use", "via", "against", "between", "after", "before", "during", "like", "just",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// SearchWith ranks the registry's tools together with extra entries that
// the registry does not hold (a subject's saved snippets), as Search does
// over an index of both: it layers the extra entries on the registry's
// index (see layer), so that a search costs what it costs without them
// plus their own share.
func (r *Registry) SearchWith(extra []Entry, query string, limit int) []Entry {
	if len(extra) == 0 {
		return r.Search(query, limit)
	}
	return r.snap.Load().indexed().layer(extra).search(query, limit)
}

// layered is a searchIndex with more documents, built without copying the
// index: its statistics are the index's plus the differences the added
// documents make, and it ranks exactly as an index built over all of them.
type layered struct {
	base     *searchIndex
	docs     []searchDoc       // the added documents
	replaced map[int]searchDoc // base documents split otherwise (see layer)
	df       map[string]int    // the differences from base.df
	vocab    []string          // the words base does not hold, sorted
	avgLen   float64
}

// layer adds the documents of extra to idx. Their words count in the
// statistics, and may split a compound name of idx's documents where
// idx's own words did not (a snippet that says "work" splits a tool's
// "worklog"): those documents are split anew, which only a word idx does
// not hold can cause.
func (idx *searchIndex) layer(extra []Entry) *layered {
	l := &layered{base: idx, replaced: map[int]searchDoc{}, df: map[string]int{}}
	added := map[string]bool{} // the words of extra that idx does not hold
	for _, e := range extra {
		d := newSearchDoc(e)
		for t := range d.tf {
			if _, ok := idx.df[t]; !ok {
				added[t] = true
			}
		}
		l.docs = append(l.docs, d)
	}
	inVocab := func(t string) bool {
		_, ok := idx.df[t]
		return ok || added[t]
	}
	total := idx.total
	for i, d := range idx.resplit(added, inVocab) {
		old := idx.docs[i]
		d.splitCompounds(inVocab)
		l.replaced[i] = d
		for t := range old.tf {
			l.df[t]--
		}
		for t := range d.tf {
			l.df[t]++
		}
		total += d.length - old.length
	}
	for i := range l.docs {
		d := &l.docs[i]
		d.splitCompounds(inVocab)
		for t := range d.tf {
			l.df[t]++
		}
		total += d.length
	}
	l.vocab = slices.Sorted(maps.Keys(added))
	l.avgLen = total / float64(len(idx.docs)+len(l.docs))
	return l
}

// resplit returns, unsplit, the documents of idx that hold a word which
// the added words split somewhere idx's own words did not: with both parts
// (a prefix, and the stem of the rest) in the vocabulary inVocab, and one
// among added. Splits possible before stay so: the others split as before.
func (idx *searchIndex) resplit(added map[string]bool, inVocab func(string) bool) map[int]searchDoc {
	if len(added) == 0 {
		return nil
	}
	var words []string
	for _, t := range idx.long {
		for i := 3; i <= len(t)-3; i++ {
			a, b := t[:i], stem(t[i:])
			if (added[a] || added[b]) && inVocab(a) && inVocab(b) {
				words = append(words, t)
				break
			}
		}
	}
	if len(words) == 0 {
		return nil
	}
	docs := map[int]searchDoc{}
	for i, d := range idx.docs {
		for _, t := range words {
			if d.tf[t] > 0 {
				docs[i] = d.unsplit()
				break
			}
		}
	}
	return docs
}

func (l *layered) freq(t string) int { return l.base.df[t] + l.df[t] }

// extensions are those of the base that some document still holds, and
// those among the added words.
func (l *layered) extensions(t string) []string {
	out := slices.DeleteFunc(l.base.extensions(t), func(w string) bool { return l.freq(w) == 0 })
	return append(out, extensionsIn(l.vocab, t)...)
}

func (l *layered) search(query string, limit int) []Entry {
	q := expand(terms(query), l.extensions)
	weigh(q, l.freq, len(l.base.docs)+len(l.docs))
	return rank(q, l.avgLen, limit, func(yield func(searchDoc) bool) {
		for i, d := range l.base.docs {
			if r, ok := l.replaced[i]; ok {
				d = r
			}
			if !yield(d) {
				return
			}
		}
		for _, d := range l.docs {
			if !yield(d) {
				return
			}
		}
	})
}
