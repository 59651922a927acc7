// Package redact scrubs configured secrets from everything a script, the
// model or a log line can see: tool results and errors, upstream metadata,
// fetch responses and log records. It is the one redactor of the project;
// tools and egress both use it, so both give the same guarantee.
//
//	r := redact.New(cfg.Secrets)
//	out := r.JSON(result)             // "[redacted]" wherever a secret was
//	msg := r.String(err.Error())
//	log := slog.New(redact.Handler(h, r))
//
// # What is caught
//
// Every occurrence of a secret (at least [MinSecretLen] bytes) in its literal
// form, and in each encoding a script could undo, applied to the whole
// secret or to any subset of its characters, mixed, and nested up to four
// layers deep (JSON inside JSON, a percent-encoded JSON escape):
//
//   - percent-encoding, upper or lower case hex (encodeURIComponent,
//     Python's quote and quote_plus, "%2541" double encoding, "%u0041");
//   - JavaScript and JSON escapes: \u0041 in either case, \u{41}, \x41,
//     \/ and every other backslash escape, with any number of backslashes
//     (double-encoded JSON is \\u0041);
//   - HTML character references: &#65; &#x41; &#X41 (with or without the
//     semicolon), the named references of ASCII punctuation (&plus; &sol;
//     &amp; ...), and &amp;-nested ones (&amp;#65;);
//   - UTF-16, little or big endian, with or without a byte order mark, for
//     secrets of ASCII characters (the replacement is UTF-16 too, so the
//     text stays aligned);
//   - base64 and base64url of the secret at any alignment (a token inside
//     "Basic dXNlcjp0b2tlbg=="), for secrets of 8 bytes or more.
//
// # How
//
// The text is decoded into a view in which every encoded character is the
// character (one linear pass per layer; a text without '%', '\', '&' or NUL
// is its own view), and the decoded forms of all secrets are searched in
// the view in one pass. Only encodings of characters some secret holds are
// decoded, so a stray "%" or "\" right before a secret cannot swallow its
// first characters ("%CA" + "NARY..." stays "%CANARY..."). A match is
// mapped back to the units of the original text it came from, and those
// are replaced by [Redacted]; the literal secrets are also searched in the
// original text. A text without a match is returned as it is, without
// copying. On 1 MB with five secrets this takes about 1 ms for plain JSON,
// 3 ms for JSON full of escapes or URL-encoded text.
//
// A server that transforms a secret otherwise (hashes it, reverses it,
// sends a part of it, encodes it in a way not listed above) defeats
// redaction; so does one that splits a secret across two results.
package redact
