package search

import (
	"iter"
	"maps"
	"math"
	"slices"
	"strings"
)

// Doc is one document: what a search reads of a tool, or of anything
// ranked with the tools.
type Doc struct {
	// Key names the document; equal scores are ordered by it, so that a
	// search's order is deterministic ("memory.create_entities").
	Key string
	// Namespace and Name are the text of the name field, the heaviest:
	// Namespace the words every document of its namespace shares ("memory
	// memory": the namespace and the server), Name the document's own
	// ("create_entities Create entities": the tool's name and title).
	Namespace, Name string
	// Params are the top-level parameter names.
	Params []string
	// Description is the free text, the lightest field.
	Description string
}

// Field weights: a word in the tool's name says more than one in a
// parameter name, which says more than one in the description.
const (
	weightName   = 3.0
	weightParams = 2.0
	weightDesc   = 1.0

	bm25K1 = 1.2
	bm25B  = 0.75
)

// Index is a BM25F index over documents: each document's fields are its
// name, its parameter names and its description.
type Index struct {
	docs   []doc
	df     map[string]int
	total  float64  // the docs' lengths summed
	avgLen float64  // total over the docs
	vocab  []string // every term, sorted
	long   []string // the terms long enough to split (see splitCompounds)
}

// doc is a Doc as the index weighs it.
type doc struct {
	pos    int                // in the documents searched
	key    string             // Doc.Key
	tf     map[string]float64 // weighted term frequency
	length float64            // weighted length
	splits [][2]string        // the parts splitCompounds added
	named  []string           // the words of the name field, sorted, once each (see nameBonus)
	own    []string           // those of its own name (Doc.Name), sorted, once each
}

// New indexes docs.
func New(docs []Doc) *Index {
	idx := &Index{df: map[string]int{}}
	for i, d := range docs {
		idx.docs = append(idx.docs, newDoc(i, d))
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

// newDoc is the document at pos before splitCompounds.
func newDoc(pos int, d Doc) doc {
	out := doc{pos: pos, key: d.Key, tf: map[string]float64{}}
	own := terms(d.Name)
	name := append(terms(d.Namespace), own...)
	out.add(name, weightName)
	slices.Sort(name)
	slices.Sort(own)
	out.named, out.own = slices.Compact(name), slices.Compact(own)
	out.add(terms(strings.Join(d.Params, " ")), weightParams)
	out.add(terms(d.Description), weightDesc)
	return out
}

// minCompound is the length of the shortest word splitCompounds splits.
const minCompound = 6

// splitCompounds adds the parts of a name's run-together words at half
// weight, when both parts are words of the index (inVocab): "worklog" is
// also "work" and "log", "freebusy" also "free" and "busy".
func (d *doc) splitCompounds(inVocab func(string) bool) {
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
func (d doc) unsplit() doc {
	u := doc{pos: d.pos, key: d.key, tf: maps.Clone(d.tf), length: d.length, named: d.named, own: d.own}
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

func (d *doc) add(ts []string, w float64) {
	for _, t := range ts {
		d.tf[t] += w
		d.length += w
	}
}

// Search returns the positions of the best limit documents (all matching
// ones when limit <= 0), best first, ties broken by key so the order is
// deterministic.
func (idx *Index) Search(query string, limit int) []int {
	q := expand(terms(query), idx.extensions)
	weigh(q, func(t string) int { return idx.df[t] }, len(idx.docs))
	return rank(q, idx.avgLen, limit, slices.Values(idx.docs))
}

// rank scores docs for q, with the average length avgLen of the documents
// q was weighed over, and returns the positions of the best limit.
func rank(q []queryTerm, avgLen float64, limit int, docs iter.Seq[doc]) []int {
	type scored struct {
		pos   int
		key   string
		score float64
	}
	var hits []scored
	for d := range docs {
		if s := score(d, q, avgLen); s > 0 {
			s *= 1 + nameBonus(d, q)
			hits = append(hits, scored{d.pos, d.key, s})
		}
	}
	slices.SortFunc(hits, func(a, b scored) int {
		if a.score != b.score {
			return cmpFloatDesc(a.score, b.score)
		}
		return strings.Compare(a.key, b.key)
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = h.pos
	}
	return out
}

// weigh sets the inverse document frequency of q's terms among n
// documents, df giving how many of them hold a term. A relative's weighs
// no more than that of the rarest word the query says: a rare synonym
// ("download" for "get") must not outrank the query's own words (in
// GitHub's API, migrations_get_archive_for_authenticated_user, "Download a
// user migration archive", came before users_get_authenticated for "get
// the authenticated user").
func weigh(q []queryTerm, df func(string) int, n int) {
	idf := func(t string) float64 {
		df := float64(df(t))
		return math.Log(1 + (float64(n)-df+0.5)/(df+0.5))
	}
	top := 0.0
	for i := range q {
		q[i].idf = idf(q[i].term)
		if q[i].weight == 1 {
			top = max(top, q[i].idf)
		}
	}
	for i := range q {
		if q[i].weight != 1 {
			q[i].idf = min(q[i].idf, top)
		}
	}
}

func score(d doc, q []queryTerm, avgLen float64) float64 {
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

// nameBonusWeight is how much a name that says only the query's words
// adds to a score (half); see nameBonus.
const nameBonusWeight = 0.5

// nameBonus favours, among the documents whose name field holds every
// word of the query, those whose own name says little else: "list pull
// requests" is pulls_list ("List pull requests") before
// pulls_list_requested_reviewers ("Get all requested reviewers for a pull
// request"), whose name holds the words too, more often, among others.
// It is the share of the words of the document's own name that are the
// query's or their relatives, times nameBonusWeight; 0 when a word of the
// query is missing from the name field.
func nameBonus(d doc, q []queryTerm) float64 {
	if len(d.own) == 0 {
		return 0
	}
	for _, qt := range q {
		if _, ok := slices.BinarySearch(d.named, qt.term); qt.weight == 1 && !ok {
			return 0
		}
	}
	n := 0
	for _, t := range d.own {
		if slices.ContainsFunc(q, func(qt queryTerm) bool { return qt.term == t }) {
			n++
		}
	}
	return nameBonusWeight * float64(n) / float64(len(d.own))
}

func cmpFloatDesc(a, b float64) int {
	if a > b {
		return -1
	}
	return 1
}

// expand weighs the query's terms 1 and their relatives ½: synonyms ("save"
// finds write_file, "folder" list_directory) and words of the index that
// one is a prefix of ("remind" finds reminder), so that neither outranks an
// exact word (see weigh).
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
func (idx *Index) extensions(t string) []string { return extensionsIn(idx.vocab, t) }

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
