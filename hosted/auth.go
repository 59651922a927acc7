package hosted

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// authenticator checks bearer tokens: the configured ones, then JWTs.
type authenticator struct {
	tokens []token
	jwt    *jwtVerifier // nil without auth.jwt
}

// token is one accepted bearer token, kept only as its SHA-256 digest.
type token struct {
	digest  [sha256.Size]byte
	subject string
}

// minTokenLen is the shortest plain token accepted in the configuration.
const minTokenLen = 16

// newAuthenticator reads codemode.auth; nil auth means no authentication.
func newAuthenticator(auth *config.Auth, client *http.Client) (*authenticator, error) {
	if auth == nil || len(auth.Tokens) == 0 && auth.JWT == nil {
		return nil, nil
	}
	a := &authenticator{}
	for i, t := range auth.Tokens {
		toks, err := parseToken(t)
		if err != nil {
			return nil, fmt.Errorf("codemode.auth.tokens[%d]: %w", i, err)
		}
		a.tokens = append(a.tokens, toks...)
	}
	if auth.JWT != nil {
		v, err := newJWTVerifier(*auth.JWT, client)
		if err != nil {
			return nil, err
		}
		a.jwt = v
	}
	return a, nil
}

// parseToken reads one auth.tokens entry: a secret (usually "${VAR}"),
// "sha256:HEX" (the digest of a secret), or "file:PATH" (a file of such
// digests, one per line, each optionally followed by a subject name).
func parseToken(entry string) ([]token, error) {
	switch {
	case strings.HasPrefix(entry, "file:"):
		return readTokenFile(strings.TrimPrefix(entry, "file:"))
	case strings.HasPrefix(entry, "sha256:"):
		t, err := hashedToken(entry, "")
		return []token{t}, err
	case len(entry) < minTokenLen:
		return nil, fmt.Errorf("a token of %d characters is too easy to guess; use at least %d random ones "+
			"(e.g. from `openssl rand -hex 32`)", len(entry), minTokenLen)
	}
	d := sha256.Sum256([]byte(entry))
	return []token{{digest: d, subject: digestSubject(d)}}, nil
}

func hashedToken(s, subject string) (token, error) {
	raw, err := hex.DecodeString(strings.TrimPrefix(s, "sha256:"))
	if err != nil || len(raw) != sha256.Size {
		return token{}, fmt.Errorf("%q is not sha256: and 64 hex digits; make one with `printf %%s TOKEN | sha256sum`", s)
	}
	t := token{subject: subject}
	copy(t.digest[:], raw)
	if subject == "" {
		t.subject = digestSubject(t.digest)
	}
	return t, nil
}

// readTokenFile reads "sha256:HEX [subject]" lines; blank lines and lines
// starting with # are skipped.
func readTokenFile(path string) ([]token, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []token
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		subject := ""
		if len(fields) > 1 {
			subject = fields[1]
		}
		t, err := hashedToken(fields[0], subject)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

// digestSubject names the holder of a token without revealing it.
func digestSubject(d [sha256.Size]byte) string {
	return "token:" + hex.EncodeToString(d[:6])
}

// Why a request was not authenticated.
var (
	errNoToken  = errors.New("this server needs a bearer token: send Authorization: Bearer TOKEN")
	errBadToken = errors.New("the bearer token is not valid")
)

// authenticate returns the subject of the request's bearer token.
func (a *authenticator) authenticate(r *http.Request) (string, error) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", errNoToken
	}
	if subject, ok := a.match(tok); ok {
		return subject, nil
	}
	if a.jwt != nil && strings.Count(tok, ".") == 2 {
		return a.jwt.verify(r.Context(), tok)
	}
	return "", errBadToken
}

// match compares the token's digest with every configured digest, all of
// them, in constant time: how long it takes says nothing of which or how
// much matched.
func (a *authenticator) match(tok string) (string, bool) {
	d := sha256.Sum256([]byte(tok))
	found := -1
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(d[:], a.tokens[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return a.tokens[found].subject, true
}

// authenticated lets a request through with its subject in the context, or
// answers 401 with a WWW-Authenticate challenge. The Authorization header
// goes no further: no upstream call can pick it up.
func (h *Handler) authenticated(next http.Handler) http.Handler {
	if h.auth == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		subject, err := h.auth.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", h.challenge(r, err))
			h.refuse(w, r, http.StatusUnauthorized, err.Error())
			return
		}
		r.Header.Del("Authorization")
		setSubject(r, subject)
		next.ServeHTTP(w, r.WithContext(tools.WithSubject(r.Context(), subject)))
	})
}

// challenge is the WWW-Authenticate value of a 401 (RFC 6750, and RFC 9728's
// resource_metadata when JWTs are accepted).
func (h *Handler) challenge(r *http.Request, err error) string {
	c := `Bearer realm="mcp-codemode"`
	if h.auth.jwt != nil {
		c += fmt.Sprintf(`, resource_metadata="%s"`, h.metadataURL(r))
	}
	if !errors.Is(err, errNoToken) {
		c += fmt.Sprintf(`, error="invalid_token", error_description="%s"`, strings.ReplaceAll(err.Error(), `"`, `'`))
	}
	return c
}
