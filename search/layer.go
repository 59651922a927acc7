package search

import (
	"maps"
	"slices"
)

// Layered is an Index with more documents, built without copying the
// index: its statistics are the index's plus the differences the added
// documents make, and it ranks exactly as an index built over all of them.
type Layered struct {
	base     *Index
	docs     []doc          // the added documents
	replaced map[int]doc    // base documents split otherwise (see With)
	df       map[string]int // the differences from base.df
	vocab    []string       // the words base does not hold, sorted
	avgLen   float64
}

// With adds the documents extra to idx; a search of the result numbers
// them after idx's own (the first at len of idx's documents). Their words
// count in the statistics, and may split a compound name of idx's
// documents where idx's own words did not (a snippet that says "work"
// splits a tool's "worklog"): those documents are split anew, which only a
// word idx does not hold can cause.
func (idx *Index) With(extra []Doc) *Layered {
	l := &Layered{base: idx, replaced: map[int]doc{}, df: map[string]int{}}
	added := map[string]bool{} // the words of extra that idx does not hold
	for i, e := range extra {
		d := newDoc(len(idx.docs)+i, e)
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
func (idx *Index) resplit(added map[string]bool, inVocab func(string) bool) map[int]doc {
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
	docs := map[int]doc{}
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

func (l *Layered) freq(t string) int { return l.base.df[t] + l.df[t] }

// extensions are those of the base that some document still holds, and
// those among the added words.
func (l *Layered) extensions(t string) []string {
	out := slices.DeleteFunc(l.base.extensions(t), func(w string) bool { return l.freq(w) == 0 })
	return append(out, extensionsIn(l.vocab, t)...)
}

// Search is Index.Search over the index's documents and the added ones.
func (l *Layered) Search(query string, limit int) []int {
	q := expand(terms(query), l.extensions)
	weigh(q, l.freq, len(l.base.docs)+len(l.docs))
	return rank(q, l.avgLen, limit, func(yield func(doc) bool) {
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
