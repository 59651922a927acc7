package search

import (
	"slices"
	"strings"
	"unicode"
)

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
