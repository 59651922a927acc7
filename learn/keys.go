package learn

import (
	"regexp"
	"unicode"
	"unicode/utf8"
)

// DataKey reports whether an object key looks like data rather than a
// property name: a number, a date or time, an e-mail address, a UUID, a
// path or URL, a long hex string or token (an id, a hash, a secret), a key
// with spaces or control characters, or one over 64 bytes. An object with
// such a key is learned as a record (Record<string, T>), so that keys that
// are data never reach a declaration.
func DataKey(k string) bool {
	switch {
	case len(k) > 64 || !utf8.ValidString(k):
		return true
	case numberKey.MatchString(k), dateKey.MatchString(k), emailKey.MatchString(k), uuidKey.MatchString(k):
		return true
	case hexKey.MatchString(k), tokenKey(k):
		return true
	}
	for _, r := range k {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' || r == '\\' || r == '@' && k[0] != '@' {
			return true
		}
	}
	return false
}

var (
	numberKey = regexp.MustCompile(`^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$`)
	dateKey   = regexp.MustCompile(`^\d{4}-\d{2}(-\d{2})?([T ]|$)|^\d{1,2}[./]\d{1,2}[./]\d{2,4}$|^\d{1,2}:\d{2}`)
	emailKey  = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	uuidKey   = regexp.MustCompile(`(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}`)
	hexKey    = regexp.MustCompile(`(?i)[0-9a-f]{12,}`)
	digits    = regexp.MustCompile(`\d{5,}`)
)

// tokenKey reports a key holding a generated token: a run of five digits
// or more (an id), or a run of 16 letters and digits with both, as API keys,
// base64 and hashes have (ghp_…, sk-…).
func tokenKey(k string) bool {
	if digits.MatchString(k) {
		return true
	}
	run, letters, nums := 0, false, false
	for _, r := range k {
		switch {
		case r >= '0' && r <= '9':
			run, nums = run+1, true
		case r < utf8.RuneSelf && unicode.IsLetter(r):
			run, letters = run+1, true
		default:
			if run >= 16 && letters && nums {
				return true
			}
			run, letters, nums = 0, false, false
		}
	}
	return run >= 16 && letters && nums
}
